using System.Net;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using SemiSeg.Clustering;
using SemiSeg.Grains;
using SemiSeg.Grains.Execution;
using SemiSeg.Security;
using SemiSeg.Storage;

namespace SemiSeg.Silo;

/// <summary>Builds SemiSeg silos: the same configuration serves <c>semiseg run</c>, <c>semiseg silo</c> and the tests.</summary>
public static class SiloHosting
{
    /// <summary>Grains, grain storage, artifact store and (when the silo has slots) the worker service.</summary>
    public static ISiloBuilder AddSemiSeg(this ISiloBuilder silo, SiloSettings settings, OrchestrationOptions? orchestration = null, TrainerCommand? trainer = null)
    {
        settings.Validate();
        orchestration ??= new OrchestrationOptions();
        orchestration.Validate();
        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(orchestration);
        services.TryAddSingleton<IArtifactStore>(_ => ArtifactStores.Create(settings.Storage));
        if (settings.Storage.StartsWith("local:", StringComparison.Ordinal))
        {
            string root = Path.GetFullPath(Path.Combine(settings.Storage["local:".Length..], "grain-state"));
            services.AddKeyedSingleton<IGrainStorage>(StorageNames.GrainState, (sp, _) => new FileGrainStorage(root, sp.GetRequiredService<Serializer>()));
        }
        else
        {
            string connection = ArtifactStores.AzureConnectionString(settings.Storage);
            silo.AddAzureBlobGrainStorage(StorageNames.GrainState, o =>
            {
                o.BlobServiceClient = new BlobServiceClient(connection);
                o.ContainerName = ArtifactStores.AzureGrainStateContainer(settings.Storage);
            });
        }

        services.AddSingleton(new WorkerOptions
        {
            Devices = settings.Devices(),
            WorkDirectory = settings.WorkDirectory,
            Name = WorkerName(settings),
            Stall = new StallOptions { Floor = settings.StallTimeout },
        });
        services.TryAddSingleton(trainer ?? TrainerCommand.NextTo(Path.Combine(AppContext.BaseDirectory, "semiseg.dll")));
        services.TryAddSingleton<IRunExecutor, ProcessRunExecutor>();
        services.AddSingleton<WorkerService>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerService>());
        return silo;
    }

    /// <summary>Clustering, endpoints and membership timing for a real silo (tests use their own).</summary>
    public static ISiloBuilder UseSemiSegClustering(this ISiloBuilder silo, SiloSettings settings)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        silo.UseSemiSegTls(settings.Tls);
        if (settings.Clustering == "localhost")
        {
            var primary = settings.PrimarySiloPort is int port ? new IPEndPoint(IPAddress.Loopback, port) : null;
            silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, primary, settings.ServiceId, settings.ClusterId);
            return silo;
        }
        if (settings.Clustering == "postgres")
        {
            silo.Services.AddPostgresMembershipTable(settings.ClusteringConnection!);
        }
        else
        {
            silo.UseAzureStorageClustering(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(settings.ClusteringConnection));
        }
        silo.ConfigureEndpoints(settings.AdvertisedIp is null ? IPAddress.Loopback : IPAddress.Parse(settings.AdvertisedIp),
            settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: settings.AdvertisedIp is not null);
        silo.Configure<ClusterMembershipOptions>(ApplyFastFailureDetection);
        return silo;
    }

    /// <summary>Declares a killed silo dead in seconds rather than the default tens of seconds (see bench/README.md
    /// for the recovery times this gives): probes every 2 s, 2 s timeout, 2 missed probes.</summary>
    public static void ApplyFastFailureDetection(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(2);
        o.NumMissedProbesLimit = 2;
        o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
    }

    /// <summary>A silo process: the Orleans silo, plus Kestrel serving the dashboard when <see
    /// cref="SiloSettings.DashboardUrls"/> is set (otherwise a plain host: no HTTP port is opened).</summary>
    public static IHost BuildSiloHost(SiloSettings settings, Action<ISiloBuilder>? configure = null, Action<IHostApplicationBuilder>? configureHost = null)
    {
        settings.Validate();
        void Silo(ISiloBuilder silo)
        {
            silo.UseSemiSegClustering(settings).AddSemiSeg(settings);
            if (settings.DashboardUrls is not null)
            {
                silo.AddDashboard();
            }
            configure?.Invoke(silo);
        }
        if (settings.DashboardUrls is null)
        {
            var plain = Host.CreateApplicationBuilder();
            plain.Logging.AddRedactingConsole();
            QuietLibraryLogs(plain.Logging);
            configureHost?.Invoke(plain);
            plain.UseOrleans(Silo);
            return plain.Build();
        }
        var builder = WebApplication.CreateBuilder();
        builder.Logging.AddRedactingConsole();
        QuietLibraryLogs(builder.Logging);
        configureHost?.Invoke(builder);
        builder.WebHost.UseUrls(settings.DashboardUrls);
        builder.UseOrleans(Silo);
        var app = builder.Build();
        app.MapOrleansDashboard("/dashboard");
        return app;
    }

    /// <summary>
    /// Keeps the libraries' routine lines out of a silo's log: Orleans and ASP.NET at warning and above, and Polly (the
    /// resilience pipelines Orleans runs, e.g. for placement, log every execution at information level, half of a
    /// silo's log) at error only: their retries are routine, and a call that finally fails surfaces as an exception
    /// in the caller's own log line.
    /// </summary>
    public static ILoggingBuilder QuietLibraryLogs(ILoggingBuilder logging) => logging
        .AddFilter("Orleans", LogLevel.Warning)
        .AddFilter("Microsoft", LogLevel.Warning)
        .AddFilter("Polly", LogLevel.Error);

    /// <summary>When a silo failed to start because its membership store could not be reached, the error a user can act
    /// on (null for anything else, which is then a bug to report).</summary>
    public static SiloSettingsException? MembershipStartFailure(Exception failure, SiloSettings settings)
    {
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.NpgsqlException or Azure.RequestFailedException)
            {
                string store = settings.Clustering == "postgres" ? "PostgreSQL database" : "Azure Table storage";
                return new SiloSettingsException("--clustering-connection", $"the {store} for membership cannot be used: {Secrets.Redact(e.Message)}",
                    "check the connection string, that the server is up and reachable from this machine, and that the user may create tables");
            }
        }
        return null;
    }

    private static string WorkerName(SiloSettings settings) =>
        settings.WorkerName ?? $"{Environment.MachineName}:{settings.SiloPort}";
}
