using System.Text.RegularExpressions;
using SemiSeg.Cli;

namespace SemiSeg.Training.Tests.Support;

/// <summary>Runs the CLI's entry point in this process with stdout and stderr captured. Console redirection is global,
/// so every test class that uses it is in the <see cref="Name"/> collection (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed partial class CliRunner
{
    public const string Name = "console output";

    public static (int Exit, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (previousOut, previousError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            return (Program.Main(args), output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }

    /// <summary>A .NET exception type's name (InvalidCastException, ...): user-facing output never contains one.</summary>
    [GeneratedRegex(@"\b[A-Z]\w*Exception\b")]
    public static partial Regex ExceptionTypeName();
}
