using System.Runtime.InteropServices;
using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Models;
using SemiSeg.Training.Running;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Running;

/// <summary>Runs with no other test alongside: tests allocating on other threads share the C library's arenas, so
/// the pages this thread freed could be taken by them, and it would fault fresh ones in (seen in the full suite).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneForPageFaults
{
    public const string Name = "alone (counts this thread's page faults)";
}

[Collection(AloneForPageFaults.Name)]
public class NativeAllocatorTests
{
    /// <summary>
    /// After <see cref="NativeAllocator.KeepFreedMemory"/>, a SwiftNet-RN18 training step (forward, backward, Adam)
    /// reuses the memory the previous step freed: three steps after the first two page-fault in fewer pages than
    /// half the model's parameters occupy each. With glibc's defaults every step faults its Adam temporaries and
    /// activations in afresh (more pages per step than the parameters occupy), two thirds of a small step's CPU time.
    /// </summary>
    [Fact]
    public void TrainingStepsReuseFreedMemoryWithoutPageFaults()
    {
        if (!OperatingSystem.IsLinux() || new[] { "MALLOC_TOP_PAD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_" }.Any(v => Environment.GetEnvironmentVariable(v) is not null))
        {
            return; // the settings apply to glibc only, and leave a user's own malloc tuning alone
        }
        Assert.True(NativeAllocator.KeepFreedMemory());
        var scenes = new DatasetInfo(DatasetNames.FashionScenes, "test", Enumerable.Range(0, 11).Select(i => $"class{i}").ToArray(), IsSegmentation: true);
        using var model = ModelFactory.Create(new ModelConfig { Architecture = ModelNames.SwiftNetRn18 }, scenes, loadPretrainedWeights: false);
        using var optimizer = OptimizerFactory.Create(new OptimizerConfig(), model);
        using var images = rand(2, 3, 32, 32, generator: manual_seed(1));
        using var labels = randint(0, 11, [2, 32, 32], generator: manual_seed(2));
        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(images), labels).backward();
            optimizer.step();
        }
        Step();
        Step();
        long before = MinorFaultsOfThisThread();
        for (int i = 0; i < 3; i++)
        {
            Step();
        }
        long faults = MinorFaultsOfThisThread() - before;
        long parameterPages = model.parameters().Sum(p => p.numel()) * sizeof(float) / Environment.SystemPageSize;
        // Measured on the 2-core development VM: about 2,300 faults per step with the settings, 20,000 without.
        Assert.True(faults < 3 * parameterPages / 2, $"3 training steps caused {faults} minor page faults (the parameters occupy {parameterPages} pages)");
    }

    private static long MinorFaultsOfThisThread()
    {
        // struct rusage: two struct timeval (4 longs), then ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ...
        var usage = new long[18];
        Assert.Equal(0, GetRUsage(RUsageThread, usage));
        return usage[8];
    }

    private const int RUsageThread = 1;

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, [Out] long[] usage);
}
