using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using SemiSeg.Clustering;
using SemiSeg.Security;

namespace SemiSeg.Client;

/// <summary>Where the cluster is: the same clustering settings the silos use.</summary>
public sealed record ClusterSettings
{
    /// <summary>localhost (a silo on this machine, at <see cref="GatewayPort"/>), azure-table or postgres.</summary>
    public string Clustering { get; init; } = "localhost";

    public string? ClusteringConnection { get; init; }

    public string ClusterId { get; init; } = "semiseg";

    public string ServiceId { get; init; } = "semiseg";

    public int GatewayPort { get; init; } = 30000;

    /// <summary>Mutual TLS to the gateways (off unless a certificate is given; must match the silos').</summary>
    public TlsSettings Tls { get; init; } = new();

    /// <summary>How long to keep trying to reach a silo before giving up with a clear error.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>A connected client; dispose to disconnect.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost host;

    private ClusterConnection(IHost host)
    {
        this.host = host;
        Client = new SemiSegClient(host.Services.GetRequiredService<IClusterClient>());
    }

    public SemiSegClient Client { get; }

    /// <summary>Connects, retrying while the cluster starts; a clear error when no silo answers.</summary>
    public static async Task<ClusterConnection> ConnectAsync(ClusterSettings settings, CancellationToken cancellation = default)
    {
        if (settings.Clustering == "azure-table" && string.IsNullOrWhiteSpace(settings.ClusteringConnection))
        {
            throw new ArgumentException("--clustering-connection: azure-table clustering needs a connection string. Fix: pass the storage account's connection string ('UseDevelopmentStorage=true' for Azurite)");
        }
        if (settings.Clustering == "postgres" && PostgresClusteringOptions.Problem(settings.ClusteringConnection) is string problem)
        {
            throw new ArgumentException($"--clustering-connection: {problem}. Fix: pass the Npgsql connection string the silos use, e.g. 'Host=db;Username=orleans;Password=...;Database=semiseg'");
        }
        var builder = Host.CreateApplicationBuilder();
        // No log output: a client that cannot connect would print a stack trace per attempt; the failure is reported
        // once, as a ClusterUnreachableException.
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            client.UseSemiSegTls(settings.Tls);
            switch (settings.Clustering)
            {
                case "localhost":
                    client.UseLocalhostClustering(settings.GatewayPort, settings.ServiceId, settings.ClusterId);
                    break;
                case "azure-table":
                    client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(settings.ClusteringConnection));
                    break;
                case "postgres":
                    client.Services.AddPostgresGatewayList(settings.ClusteringConnection!);
                    break;
                default:
                    throw new ArgumentException($"--clustering: '{settings.Clustering}' is not supported. Fix: use localhost, azure-table or postgres");
            }
        });
        // The caller's token is the only stop signal: the default console lifetime would also catch Ctrl+C and SIGTERM
        // and stop the host under the caller, which then could not tell a cancellation from a failed connection.
        builder.Services.AddSingleton<IHostLifetime, CallerLifetime>();
        var host = builder.Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(settings.ConnectTimeout);
        var starting = host.StartAsync(timeout.Token);
        try
        {
            // The Orleans client notices a cancelled start only between its connection attempts: do not wait for it.
            await starting.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            _ = starting.ContinueWith(_ => host.Dispose(), TaskScheduler.Default);
            throw;
        }
        catch (Exception e)
        {
            _ = starting.ContinueWith(_ => host.Dispose(), TaskScheduler.Default);
            throw new ClusterUnreachableException($"cannot reach the cluster '{settings.ClusterId}' ({settings.Clustering}{(settings.Clustering == "localhost" ? $", gateway port {settings.GatewayPort}" : "")}): {(e is OperationCanceledException ? $"no silo answered within {settings.ConnectTimeout.TotalSeconds:F0} s" : Secrets.Redact(e.Message.Split('\n')[0].Trim()))}. Fix: start a silo first (semiseg silo ...) or check the clustering options");
        }
        return new ClusterConnection(host);
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}

/// <summary>A host lifetime that waits for nothing and reacts to no signal (see <see cref="ClusterConnection.ConnectAsync"/>).</summary>
internal sealed class CallerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>No silo of the cluster answered; the message says which cluster and how to fix it.</summary>
public sealed class ClusterUnreachableException(string message) : Exception(message);
