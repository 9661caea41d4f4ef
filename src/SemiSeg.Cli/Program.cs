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
        };
        return root.Parse(args).Invoke();
    }
}
