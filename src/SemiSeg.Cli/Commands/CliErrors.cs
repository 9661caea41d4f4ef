using SemiSeg.Security;
using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Models;
using SemiSeg.Training.Running;
using Spectre.Console;

namespace SemiSeg.Cli.Commands;

/// <summary>Turns exceptions into exit codes and one clear message (no stack trace for user errors).</summary>
public static class CliErrors
{
    public const int UserError = 2, InternalError = 1, Cancelled = 130;

    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is ConfigException or DataFormatException or CheckpointException or ModelConfigException or Reports.Plots.MetricsFileException or Silo.SiloSettingsException or Client.ClusterUnreachableException or ReportInputException or ArgumentException)
        {
            Error(e.Message);
            return UserError;
        }
        catch (OperationCanceledException)
        {
            Error("Cancelled. The run wrote a checkpoint; continue it with the same command plus --resume.");
            return Cancelled;
        }
        catch (Exception e)
        {
            Error($"{e.GetType().Name}: {e.Message}");
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
    }

    /// <summary>Prints "error: MESSAGE" on stderr, secrets masked (messages may quote a store or clustering spec, or an
    /// SDK error that embeds one).</summary>
    public static void Error(string message) => Console.Error.WriteLine($"error: {Secrets.Redact(message)}");
}
