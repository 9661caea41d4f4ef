using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SemiSeg.Security;

/// <summary>
/// The names a client sends that become paths (store paths, work folders, report folders): sweep ids, run keys and
/// cell keys. The same rules hold in the manifest parser, the client, the grains and the workers, so a name that passes
/// one passes all and a hostile one is stopped wherever it enters.
/// </summary>
public static partial class SafeNames
{
    /// <summary>Run and cell keys: the first 128 bits of a SHA-256, as lowercase hex (see ContentKeys).</summary>
    public const int KeyLength = 32;

    public const int MaxSweepIdLength = 64;

    /// <summary>The sweep id rule in words, for error messages and README.</summary>
    public const string SweepIdRule = "1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit";

    /// <summary>What is wrong with a sweep id, or null when it is valid.</summary>
    public static string? SweepIdProblem(string? id) => id switch
    {
        null or "" => "is empty",
        { Length: > MaxSweepIdLength } => $"is {id.Length} characters long (at most {MaxSweepIdLength})",
        _ when !SweepIdPattern().IsMatch(id) => id[0] is >= 'a' and <= 'z' or >= '0' and <= '9'
            ? "may hold only lowercase letters, digits, '.', '_' and '-'"
            : "must start with a lowercase letter or a digit",
        _ => null,
    };

    /// <summary>What is wrong with a run or cell key, or null when it is valid.</summary>
    public static string? KeyProblem(string? key) => key switch
    {
        null or "" => "is empty",
        { Length: not KeyLength } => $"is {key.Length} characters long (keys are {KeyLength} lowercase hex digits)",
        _ when !KeyPattern().IsMatch(key) => $"is not lowercase hex (keys are {KeyLength} lowercase hex digits)",
        _ => null,
    };

    /// <summary>Returns the sweep id when valid, else throws an <see cref="ArgumentException"/> naming it and the fix.</summary>
    public static string CheckSweepId(string? id) =>
        SweepIdProblem(id) is string problem
            ? throw new ArgumentException($"sweep id {Show(id)} {problem}. Fix: use {SweepIdRule}, e.g. {Suggest(id)}")
            : id!;

    /// <summary>Returns the run key when valid, else throws an <see cref="ArgumentException"/>.</summary>
    public static string CheckRunKey(string? key) => CheckKey(key, "run key");

    /// <summary>Returns the cell key when valid, else throws an <see cref="ArgumentException"/>.</summary>
    public static string CheckCellKey(string? key) => CheckKey(key, "cell key");

    /// <summary>A valid sweep id close to <paramref name="id"/> (lowercased, other characters replaced by '-').</summary>
    public static string Suggest(string? id)
    {
        var builder = new StringBuilder();
        foreach (char c in (id ?? "").ToLowerInvariant())
        {
            bool ok = c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '_' or '-';
            if (ok || (builder.Length > 0 && builder[^1] != '-'))
            {
                builder.Append(ok ? c : '-');
            }
        }
        string suggestion = builder.ToString().TrimStart('.', '_', '-');
        suggestion = suggestion[..Math.Min(suggestion.Length, MaxSweepIdLength)].TrimEnd('-');
        return SweepIdProblem(suggestion) is null ? suggestion : "my-sweep";
    }

    /// <summary>A client's value quoted for a message: at most 80 characters, control and non-ASCII characters
    /// escaped (so a hostile value cannot forge log lines or hide in look-alike letters).</summary>
    public static string Show(string? value)
    {
        if (value is null)
        {
            return "(null)";
        }
        var builder = new StringBuilder("'");
        foreach (char c in value.Length > 80 ? value[..80] : value)
        {
            builder.Append(c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}");
        }
        builder.Append(value.Length > 80 ? "'..." : "'");
        return builder.ToString();
    }

    private static string CheckKey(string? key, string what) =>
        KeyProblem(key) is string problem
            ? throw new ArgumentException($"{what} {Show(key)} {problem}. Fix: send the keys the client computes from the manifest (semiseg submit), never a path or a name")
            : key!;

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex SweepIdPattern();

    [GeneratedRegex("^[0-9a-f]+$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
