using System.Runtime.InteropServices;

namespace SemiSeg.Training.Running;

/// <summary>
/// Keeps the C library from handing large freed blocks back to the kernel between training steps. glibc serves every
/// allocation above its mmap threshold (128 KiB at first, growing only to the largest block freed) with a fresh
/// mmap and unmaps it on free, so each step's activations, gradients and Adam temporaries (up to 9.4 MB per ResNet-18
/// tensor) are page-faulted in anew: on the 2-core development VM a 32×32 supervised FashionScenes step took 1.11 s
/// of CPU before and 0.10 s after, a 64×64 simple-PhTPS step 2.29 s and 0.32 s (results are bit-identical, only where
/// memory comes from changes). Raising the mmap threshold to glibc's maximum (32 MiB) and the trim threshold to 1 GiB lets freed
/// blocks be reused from the heap; a run's resident memory then stays at its peak, which it reaches in the first
/// steps anyway. Applied once per process; a MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or MALLOC_TOP_PAD_ in the
/// environment means the user tuned malloc, and is left alone. Other C libraries and operating systems are untouched.
/// </summary>
public static class NativeAllocator
{
    public const int MmapThresholdBytes = 32 * 1024 * 1024;
    public const int TrimThresholdBytes = 1024 * 1024 * 1024;
    public const int TopPadBytes = 64 * 1024 * 1024;

    // glibc's malloc.h
    private const int MTrimThreshold = -1, MTopPad = -2, MMmapThreshold = -3;

    private static readonly string[] UserVariables = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"];

    private static readonly Lazy<bool> Applied = new(Apply, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Applies the settings once per process; false where they were not applied (not glibc, or the user's
    /// environment tunes malloc).</summary>
    public static bool KeepFreedMemory() => Applied.Value;

    private static bool Apply()
    {
        if (!OperatingSystem.IsLinux() || UserVariables.Any(v => Environment.GetEnvironmentVariable(v) is not null))
        {
            return false;
        }
        try
        {
            // mallopt returns 1 on success; musl's is a stub that returns 0.
            return MallOpt(MMmapThreshold, MmapThresholdBytes) == 1
                && MallOpt(MTrimThreshold, TrimThresholdBytes) == 1
                && MallOpt(MTopPad, TopPadBytes) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);
}
