using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace SemiSeg.Training.Running;

/// <summary>
/// Quiets libtorch's C++ warnings. On CPUs that NNPACK does not support, libtorch prints "Could not initialize NNPACK!
/// Reason: Unsupported hardware." on every convolution (hundreds of lines per run), which scrolls live progress away
/// and pushes real errors out of a failed attempt's stderr tail. libc10 keeps its level in FLAGS_caffe2_log_level and
/// sets it from TORCH_CPP_LOG_LEVEL only in <c>c10::initLogging()</c>, which PyTorch calls at import and a plain
/// libtorch host never does. So this sets TORCH_CPP_LOG_LEVEL=ERROR in the C library's environment (unless the user
/// set it: TORCH_CPP_LOG_LEVEL=WARNING shows the warnings again) and calls <c>c10::initLogging()</c> once.
/// </summary>
public static class TorchLogging
{
    public const string Variable = "TORCH_CPP_LOG_LEVEL";

    private static readonly Lazy<bool> Applied = new(Apply, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Applies the level once per process; false when it could not be applied (the warnings then stay).</summary>
    public static bool Quiet() => Applied.Value;

    private static bool Apply()
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            // .NET keeps its own copy of the environment on Unix; libc10 reads the C library's.
            _ = SetEnv(Variable, "ERROR", 0);
            Environment.SetEnvironmentVariable(Variable, "ERROR"); // and child processes inherit it
        }
        InitializeDeviceType(TorchSharp.DeviceType.CPU); // loads libtorch (and libc10) if it is not loaded yet
        string library = OperatingSystem.IsMacOS() ? "libc10.dylib" : "libc10.so";
        if (!NativeLibrary.TryLoad(library, typeof(TorchSharp.torch).Assembly, null, out nint handle)
            || !NativeLibrary.TryGetExport(handle, "_ZN3c1011initLoggingEv", out nint initLogging))
        {
            return false;
        }
        Marshal.GetDelegateForFunctionPointer<InitLogging>(initLogging)();
        return true;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void InitLogging();

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int SetEnv(string name, string value, int overwrite);
}
