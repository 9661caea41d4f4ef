using SemiSeg.Client;
using SemiSeg.Security;
using SemiSeg.Storage;
using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Models;
using SemiSeg.Training.Running;

namespace SemiSeg.Cli.Commands;

/// <summary>
/// Turns exceptions into exit codes and one clear line: 2 for bad input and an environment the user must fix (a
/// missing or unwritable path, an unreachable cluster or store), 130 when cancelled, 1 for a bug (the only case that
/// names the exception's type, with a pointer to SEMISEG_DEBUG=1 for the stack trace).
/// </summary>
public static class CliErrors
{
    public const int UserError = 2, InternalError = 1, Cancelled = 130;

    /// <summary>What a cancelled train says: it wrote a checkpoint first.</summary>
    public const string TrainCancelled = "Cancelled. The run wrote a checkpoint; continue it with the same command plus --resume.";

    public static int Run(Func<int> action, string cancelled = TrainCancelled)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            return Report(e, cancelled);
        }
    }

    public static async Task<int> RunAsync(Func<Task<int>> action, string cancelled)
    {
        try
        {
            return await action();
        }
        catch (Exception e)
        {
            return Report(e, cancelled);
        }
    }

    /// <summary>Whether <paramref name="e"/> is the user's to fix (its message names what and how) rather than a bug.</summary>
    public static bool IsUserError(Exception e) =>
        e is ConfigException or DataFormatException or CheckpointException or ModelConfigException or TrainingDivergedException or Reports.Plots.MetricsFileException
            or Silo.SiloSettingsException or ClusterUnreachableException or UnknownSweepException or ReportInputException or UsageException
            or ArtifactStoreException
        // Thrown with a message for the user by the option checks; its subclasses (out of range, null) are bugs.
        || e.GetType() == typeof(ArgumentException);

    private static int Report(Exception e, string cancelled)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            e = aggregate.InnerExceptions[0];
        }
        if (IsUserError(e))
        {
            Error(OneLine(e.Message));
            return UserError;
        }
        if (e is IOException or UnauthorizedAccessException)
        {
            // A full disk, a read-only or vanished folder: the message names the path.
            Error($"{OneLine(e.Message)} Fix: check that the path exists and is writable (permissions, free space), or choose another folder.");
            return UserError;
        }
        if (e is OperationCanceledException)
        {
            Error(cancelled);
            return Cancelled;
        }
        Error($"{e.GetType().Name}: {OneLine(e.Message)}");
        if (Environment.GetEnvironmentVariable("SEMISEG_DEBUG") == "1")
        {
            Console.Error.WriteLine(Secrets.Redact(e.ToString()));
        }
        else
        {
            Console.Error.WriteLine("This is a bug in semiseg. Set SEMISEG_DEBUG=1 for the stack trace and report it.");
        }
        return InternalError;
    }

    /// <summary>Prints "error: MESSAGE" on stderr, secrets masked (messages may quote a store or clustering spec, or an
    /// SDK error that embeds one).</summary>
    public static void Error(string message) => Console.Error.WriteLine($"error: {Secrets.Redact(message)}");

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}

/// <summary>A command-line value that cannot be used (an --out that is a file, an unwritable folder, a path that is
/// not a sweep's output): the message names the option and the fix.</summary>
public sealed class UsageException(string message) : Exception(message);
