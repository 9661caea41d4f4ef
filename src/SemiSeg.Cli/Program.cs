using System.CommandLine;
using SemiSeg.Cli.Commands;

namespace SemiSeg.Cli;

public static class Program
{
    public static int Main(string[] args)
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
        return root.Parse(args).Invoke();
    }
}
