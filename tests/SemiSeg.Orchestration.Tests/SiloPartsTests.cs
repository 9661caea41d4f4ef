using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Storage;
using SemiSeg.Grains;
using SemiSeg.Silo;

namespace SemiSeg.Orchestration.Tests;

public sealed class SiloPartsTests
{
    [Fact]
    public async Task FileGrainStorageRoundTripsStateAndRefusesAConflictingWrite()
    {
        string root = Directory.CreateTempSubdirectory("semiseg-state-").FullName;
        var serializer = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(SweepDirectoryState).Assembly)).BuildServiceProvider().GetRequiredService<Serializer>();
        var storage = new FileGrainStorage(root, serializer);
        var id = GrainId.Create("directory", "0");

        var written = new GrainState<SweepDirectoryState>(new SweepDirectoryState { All = ["a", "b"], Active = ["b"] });
        await storage.WriteStateAsync("directory", id, written);
        var read = new GrainState<SweepDirectoryState>(new SweepDirectoryState());
        await storage.ReadStateAsync("directory", id, read);

        Assert.True(read.RecordExists);
        Assert.Equal(["a", "b"], read.State!.All);
        Assert.Equal(["b"], read.State.Active);
        Assert.Equal(written.ETag, read.ETag);
        var stale = new GrainState<SweepDirectoryState>(new SweepDirectoryState()); // never read: no ETag
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("directory", id, stale));
        Directory.Delete(root, recursive: true);
    }

    [Theory]
    [InlineData("boss", null, "cpu", "localhost", null, "--role: 'boss' is not a role. Fix: use coordinator or worker")]
    [InlineData("worker", "0,0", "cuda", "localhost", null, "--gpus: '0,0' is not a list of distinct device ids. Fix: write e.g. --gpus 0,1")]
    [InlineData("worker", null, "cuda", "localhost", null, "--device: cuda needs GPU ids. Fix: add --gpus 0 (or 0,1,...)")]
    [InlineData("worker", null, "cpu", "consul", null, "--clustering: 'consul' is not supported. Fix: use localhost (one machine), azure-table (any number of machines; Azurite works locally) or postgres")]
    [InlineData("worker", null, "cpu", "postgres", null, "--clustering-connection: postgres clustering needs a connection string. Fix: pass an Npgsql connection string, e.g. 'Host=db;Port=5432;Username=orleans;Password=...;Database=semiseg' (the tables are created on first use)")]
    [InlineData("worker", null, "cpu", "azure-table", null, "--clustering-connection: azure-table clustering needs a connection string. Fix: pass --clustering-connection 'UseDevelopmentStorage=true' for Azurite, or your storage account's connection string")]
    [InlineData("worker", null, "cpu", "localhost", "silo-1", "--advertised-ip: 'silo-1' is not an IP address. Fix: give the IP other silos reach this one at (not a host name)")]
    public void BadSiloSettingsNameTheOptionAndTheFix(string role, string? gpus, string device, string clustering, string? ip, string message)
    {
        var settings = new SiloSettings
        {
            Role = role,
            Gpus = gpus?.Split(',').Select(int.Parse).ToList() ?? [],
            Device = device,
            Clustering = clustering,
            AdvertisedIp = ip,
        };
        Assert.Equal(message, Assert.Throws<SiloSettingsException>(settings.Validate).Message);
    }

    [Fact]
    public void SlotsBecomeDevices()
    {
        Assert.Equal(["cuda:0", "cuda:2"], new SiloSettings { Gpus = [0, 2], Device = "cuda" }.Devices());
        Assert.Equal(["cpu", "cpu", "cpu"], new SiloSettings { Slots = 3 }.Devices());
        Assert.Empty(new SiloSettings { Role = SiloSettings.Coordinator }.Devices());
    }

    [Fact]
    public void ANegativeStallTimeoutIsRefused()
    {
        var settings = new SiloSettings { StallTimeout = TimeSpan.FromSeconds(-1) };
        Assert.Equal("--stall-timeout: -1 s is negative. Fix: give seconds, e.g. 120 (0 turns stall detection off)", Assert.Throws<SiloSettingsException>(settings.Validate).Message);
    }

    [Fact]
    public void ASilosLogKeepsPollysRoutineLinesOut()
    {
        var lines = new List<(string Category, LogLevel Level)>();
        using var services = new ServiceCollection()
            .AddLogging(logging => SiloHosting.QuietLibraryLogs(logging.SetMinimumLevel(LogLevel.Debug).AddProvider(new Capture(lines))))
            .BuildServiceProvider();
        var factory = services.GetRequiredService<ILoggerFactory>();
        foreach (string category in new[] { "Polly", "Orleans.Runtime.Placement", "SemiSeg.Grains.Execution.WorkerService" })
        {
            var logger = factory.CreateLogger(category);
            foreach (var level in new[] { LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error })
            {
#pragma warning disable CA2254 // a fixed message: only the level matters here
                logger.Log(level, "line");
#pragma warning restore CA2254
            }
        }
        Assert.Equal(
        [
            ("Polly", LogLevel.Error),
            ("Orleans.Runtime.Placement", LogLevel.Warning), ("Orleans.Runtime.Placement", LogLevel.Error),
            ("SemiSeg.Grains.Execution.WorkerService", LogLevel.Debug), ("SemiSeg.Grains.Execution.WorkerService", LogLevel.Information),
            ("SemiSeg.Grains.Execution.WorkerService", LogLevel.Warning), ("SemiSeg.Grains.Execution.WorkerService", LogLevel.Error),
        ], lines);
    }

    private sealed class Capture(List<(string, LogLevel)> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, List<(string, LogLevel)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Add((category, logLevel));
        }
    }
}
