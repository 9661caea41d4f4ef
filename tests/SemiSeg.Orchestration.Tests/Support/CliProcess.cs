using System.Diagnostics;
using System.Text;

namespace SemiSeg.Orchestration.Tests.Support;

/// <summary>A <c>semiseg</c> process (the built CLI next to the tests) with its stdout and stderr captured.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private CliProcess(Process process) => this.process = process;

    /// <summary>Everything the process printed so far, stdout and stderr interleaved as received.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public int ExitCode => process.ExitCode;

    public static CliProcess Start(IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null,
        IEnumerable<string>? unset = null)
    {
        var trainer = RealTrainerTests.Trainer();
        var start = new ProcessStartInfo(trainer.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string arg in trainer.Arguments.Concat(arguments))
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        foreach (string name in unset ?? [])
        {
            start.Environment.Remove(name);
        }
        var cli = new CliProcess(Process.Start(start)!);
        cli.process.OutputDataReceived += (_, e) => cli.Append(e.Data);
        cli.process.ErrorDataReceived += (_, e) => cli.Append(e.Data);
        cli.process.BeginOutputReadLine();
        cli.process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs a verb to its end (killed after <paramref name="timeout"/>).</summary>
    public static async Task<CliProcess> RunAsync(IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, IEnumerable<string>? unset = null)
    {
        var cli = Start(arguments, workingDirectory, unset: unset);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await cli.process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            cli.process.Kill(entireProcessTree: true);
            throw new TimeoutException($"semiseg {string.Join(' ', arguments)} did not end within {timeout}:\n{cli.Output}");
        }
        cli.process.WaitForExit(); // drains the output
        return cli;
    }

    /// <summary>SIGTERM (a graceful stop, as docker stop or Ctrl+C would), then waits; SIGKILL if it does not end.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (process.HasExited)
        {
            return;
        }
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
