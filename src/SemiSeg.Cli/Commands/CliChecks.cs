using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SemiSeg.Cli.Commands;

/// <summary>Checks of command-line values that System.CommandLine reports as parse errors (exit 2, before any work).</summary>
public static class CliChecks
{
    /// <summary>Refuses a value of <paramref name="option"/> outside [min, max] with the option's name and the fix.</summary>
    public static Option<T> InRange<T>(this Option<T> option, long min, long max, string fix)
    {
        option.Validators.Add(result =>
        {
            object? value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // not a number at all: System.CommandLine reports that parse error itself
            }
            if (value is int or long && System.Convert.ToInt64(value, CultureInfo.InvariantCulture) is long number && (number < min || number > max))
            {
                result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name}: {number} is out of range (allowed: {min} to {max}). Fix: {fix}"));
            }
        });
        return option;
    }

    /// <summary>Longest output path accepted: PATH_MAX (4096) less room for the deepest file a run writes below it
    /// (e.g. store/runs/KEY/attempt-N/checkpoints/step-NNNNNNN.ckpt.tmp).</summary>
    public const int MaxOutputPathBytes = 4096 - 256;

    /// <summary>
    /// Makes sure <paramref name="path"/> can hold a command's outputs: not a file, not too long, created if missing, and
    /// writable (a probe file is written and deleted). Returns the full path.
    /// </summary>
    /// <exception cref="UsageException">The message names the option, the path, the problem and the fix.</exception>
    public static string WritableFolder(string path, string option)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"{option}: '{path}' is not a usable path ({e.Message}). Fix: choose another folder");
        }
        if (File.Exists(full))
        {
            throw new UsageException($"{option}: {full} is a file, not a folder. Fix: choose a folder (it is created if missing)");
        }
        if (Encoding.UTF8.GetByteCount(full) > MaxOutputPathBytes)
        {
            throw new UsageException($"{option}: the path is {Encoding.UTF8.GetByteCount(full)} bytes long; outputs below it would pass the system's limit of 4096. Fix: choose a shorter path");
        }
        if (full.Split(Path.DirectorySeparatorChar).FirstOrDefault(part => Encoding.UTF8.GetByteCount(part) > 255) is string longName)
        {
            throw new UsageException($"{option}: the folder name '{longName[..40]}...' is {Encoding.UTF8.GetByteCount(longName)} bytes long, more than the 255 a file system allows. Fix: choose a shorter name");
        }
        try
        {
            Directory.CreateDirectory(full);
            string probe = Path.Combine(full, $".semiseg-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: cannot write into {full} ({e.Message.ReplaceLineEndings(" ")}). Fix: choose a folder you can write to");
        }
        return full;
    }

    /// <summary>Cancels <paramref name="cancellation"/> on Ctrl+C (SIGINT) and SIGTERM instead of ending the process at
    /// once, so a training writes its checkpoint and a sweep stops its runs. Dispose to restore the defaults.</summary>
    public static IDisposable CancelOnTermination(CancellationTokenSource cancellation)
    {
        void Handler(PosixSignalContext context)
        {
            context.Cancel = true;
            cancellation.Cancel();
        }
        var registrations = new[] { PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler) };
        return new Registrations(registrations);
    }

    private sealed class Registrations(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
