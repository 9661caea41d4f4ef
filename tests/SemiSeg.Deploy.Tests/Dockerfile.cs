using System.Text.Json;

namespace SemiSeg.Deploy.Tests;

/// <summary>The parts of a Dockerfile the checks need: instructions per stage, COPY/ADD sources and destinations.</summary>
public sealed class Dockerfile
{
    public sealed record Instruction(int Line, string Keyword, string Arguments, int Stage);

    /// <summary>A COPY or ADD: its flags (e.g. <c>--from=build</c>), sources and destination.</summary>
    public sealed record Copy(int Line, int Stage, IReadOnlyDictionary<string, string> Flags, IReadOnlyList<string> Sources, string Destination)
    {
        public bool FromBuildContext => !Flags.ContainsKey("from");
    }

    public IReadOnlyList<Instruction> Instructions { get; }
    public IReadOnlyList<Copy> Copies { get; }
    public int FinalStage { get; }

    private Dockerfile(IReadOnlyList<Instruction> instructions, IReadOnlyList<Copy> copies, int finalStage)
    {
        Instructions = instructions;
        Copies = copies;
        FinalStage = finalStage;
    }

    public static Dockerfile Parse(string text)
    {
        var instructions = new List<Instruction>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int stage = -1;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            int start = i;
            var joined = new System.Text.StringBuilder();
            while (true)
            {
                string current = lines[i].TrimEnd();
                bool continues = current.EndsWith('\\');
                joined.Append(continues ? current[..^1] : current).Append(' ');
                if (!continues || i + 1 >= lines.Length)
                {
                    break;
                }
                i++;
                // Comment lines inside a continuation are dropped, as Docker does.
                while (i + 1 < lines.Length && lines[i].TrimStart().StartsWith('#'))
                {
                    i++;
                }
            }
            string full = joined.ToString().Trim();
            int space = full.IndexOf(' ', StringComparison.Ordinal);
            string keyword = (space < 0 ? full : full[..space]).ToUpperInvariant();
            string arguments = space < 0 ? "" : full[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                stage++;
            }
            instructions.Add(new Instruction(start + 1, keyword, arguments, stage));
        }
        var copies = instructions.Where(ins => ins.Keyword is "COPY" or "ADD").Select(ParseCopy).ToList();
        return new Dockerfile(instructions, copies, stage);
    }

    private static Copy ParseCopy(Instruction ins)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        string rest = ins.Arguments;
        while (rest.StartsWith("--", StringComparison.Ordinal))
        {
            int space = rest.IndexOf(' ', StringComparison.Ordinal);
            string flag = space < 0 ? rest : rest[..space];
            int eq = flag.IndexOf('=', StringComparison.Ordinal);
            flags[eq < 0 ? flag[2..] : flag[2..eq]] = eq < 0 ? "true" : flag[(eq + 1)..];
            rest = space < 0 ? "" : rest[(space + 1)..].TrimStart();
        }
        List<string> parts = rest.StartsWith('[')
            ? JsonSerializer.Deserialize<List<string>>(rest) ?? []
            : rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (parts.Count < 2)
        {
            throw new FormatException($"line {ins.Line}: {ins.Keyword} needs at least one source and a destination");
        }
        return new Copy(ins.Line, ins.Stage, flags, parts[..^1], parts[^1]);
    }

    /// <summary>The final stage's ENTRYPOINT in exec form (first element), or null.</summary>
    public string? FinalEntrypoint()
    {
        var entry = Instructions.LastOrDefault(i => i.Keyword == "ENTRYPOINT" && i.Stage == FinalStage);
        if (entry is null)
        {
            return null;
        }
        return entry.Arguments.StartsWith('[')
            ? JsonSerializer.Deserialize<List<string>>(entry.Arguments)?.FirstOrDefault()
            : entry.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
    }

    /// <summary>The final stage's working directory (last WORKDIR), "/" when none.</summary>
    public string FinalWorkdir() =>
        Instructions.LastOrDefault(i => i.Keyword == "WORKDIR" && i.Stage == FinalStage)?.Arguments ?? "/";
}

/// <summary>A .dockerignore file (plain patterns, <c>**/</c> prefixes, <c>*</c> wildcards, <c>!</c> exceptions).</summary>
public sealed class DockerIgnore(IReadOnlyList<string> patterns)
{
    public static DockerIgnore Parse(string? text) => new((text ?? "")
        .Split('\n')
        .Select(l => l.Trim())
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .ToList());

    /// <summary>True when the context path (relative, '/' separators) or a folder above it is excluded.</summary>
    public bool Excludes(string path)
    {
        path = path.Trim('/');
        if (path is "" or ".")
        {
            return false;
        }
        bool excluded = false;
        foreach (string raw in patterns)
        {
            bool negate = raw.StartsWith('!');
            string pattern = (negate ? raw[1..] : raw).Trim('/');
            var regex = new System.Text.RegularExpressions.Regex(
                "^" + System.Text.RegularExpressions.Regex.Escape(pattern)
                    .Replace(@"\*\*/", "(?:.*/)?", StringComparison.Ordinal)
                    .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
                    .Replace(@"\?", "[^/]", StringComparison.Ordinal) + "(?:/.*)?$");
            if (regex.IsMatch(path))
            {
                excluded = !negate;
            }
        }
        return excluded;
    }
}
