namespace SemiSeg.Training.Config;

/// <summary>A configuration error a user can act on: where it is (file, line, field), what is wrong and how to fix it.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string? file, int? line, string field, string problem, string fix)
        : base(Format(file, line, field, problem, fix))
    {
        File = file;
        Line = line;
        Field = field;
        Problem = problem;
        Fix = fix;
    }

    public string? File { get; }
    public int? Line { get; }
    public string Field { get; }
    public string Problem { get; }
    public string Fix { get; }

    private static string Format(string? file, int? line, string field, string problem, string fix)
    {
        string where = (file, line) switch
        {
            (null, null) => "config",
            (null, int l) => $"config line {l}",
            (string f, null) => f,
            (string f, int l) => $"{f}:{l}",
        };
        return $"{where}: {field}: {problem}. Fix: {fix}";
    }
}
