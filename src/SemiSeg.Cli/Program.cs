using System.CommandLine;
using SemiSeg.Cli.Commands;

namespace SemiSeg.Cli;

public static class Program
{
    // Every path, parsing included (an environment default can be malformed), ends in one line and an exit code.
    public static int Main(string[] args) => CliErrors.Run(() => Invoke(args));

    private static int Invoke(string[] args)
    {
        var root = new RootCommand("semiseg: semi-supervised semantic segmentation sweeps (one-way consistency, PhTPS, Mean Teacher)")
        {
            TrainCommand.Create(),
            ValidateCommand.Create(),
            RunCommand.Create(),
            SiloCommand.Create(),
            ReportCommand.Create(),
        };
        foreach (var verb in ClientCommands.Create())
        {
            root.Subcommands.Add(verb);
        }
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Unknown verbs and options, missing or malformed values: bad input, exit 2 (System.CommandLine says 1).
            string verb = parse.CommandResult.Command == root ? "" : $" {parse.CommandResult.Command.Name}";
            string messages = string.Join(" ", parse.Errors.Select(e => e.Message.TrimEnd('.') + "."));
            CliErrors.Error(messages.Contains("Fix:", StringComparison.Ordinal) ? messages : $"{messages} Fix: see 'semiseg{verb} --help'.");
            return CliErrors.UserError;
        }
        // Async: the client verbs get a token that Ctrl+C and SIGTERM cancel. System.CommandLine 2.0.0 only hooks the
        // signals when given a termination timeout (its default is none): after it, the process ends regardless.
        return parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) }).GetAwaiter().GetResult();
    }
}
