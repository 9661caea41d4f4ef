using System.Text.RegularExpressions;

namespace SemiSeg.Deploy.Tests;

/// <summary>Compose variable interpolation: <c>$$</c>, <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c>,
/// <c>${VAR-default}</c>, <c>${VAR:?error}</c>, <c>${VAR?error}</c>, <c>${VAR:+alt}</c>, <c>${VAR+alt}</c>.</summary>
public static partial class Interpolation
{
    public sealed record Reference(string Name, string? Operator, string Argument)
    {
        /// <summary>True when an unset variable still gives a value the author chose (a default or the empty alternative).</summary>
        public bool HasFallback => Operator is "-" or ":-" or "+" or ":+";
    }

    [GeneratedRegex(@"\$(?:(?<escape>\$)|\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:?[-?+])(?<arg>[^}]*))?\}|(?<bare>[A-Za-z_][A-Za-z0-9_]*)|(?<bad>\{[^}]*\}?))")]
    private static partial Regex Pattern();

    /// <summary>The variables <paramref name="text"/> refers to; a malformed <c>${...}</c> throws <see cref="FormatException"/>.</summary>
    public static IReadOnlyList<Reference> References(string text)
    {
        var result = new List<Reference>();
        foreach (Match m in Pattern().Matches(text))
        {
            if (m.Groups["escape"].Success)
            {
                continue;
            }
            if (m.Groups["bad"].Success)
            {
                throw new FormatException($"invalid interpolation '{m.Value}'");
            }
            if (m.Groups["bare"].Success)
            {
                result.Add(new Reference(m.Groups["bare"].Value, null, ""));
                continue;
            }
            string? op = m.Groups["op"].Success ? m.Groups["op"].Value : null;
            result.Add(new Reference(m.Groups["name"].Value, op, m.Groups["arg"].Value));
        }
        return result;
    }

    /// <summary>The text as Compose would see it with the given variables set (defaults apply to the others).</summary>
    public static string Apply(string text, IReadOnlyDictionary<string, string>? variables = null) =>
        Pattern().Replace(text, m =>
        {
            if (m.Groups["escape"].Success)
            {
                return "$";
            }
            if (m.Groups["bad"].Success)
            {
                throw new FormatException($"invalid interpolation '{m.Value}'");
            }
            string name = m.Groups[m.Groups["bare"].Success ? "bare" : "name"].Value;
            string? value = variables is not null && variables.TryGetValue(name, out var v) ? v : null;
            string op = m.Groups["op"].Success ? m.Groups["op"].Value : "";
            string arg = m.Groups["arg"].Value;
            return op switch
            {
                ":-" => string.IsNullOrEmpty(value) ? arg : value,
                "-" => value ?? arg,
                ":+" => string.IsNullOrEmpty(value) ? "" : arg,
                "+" => value is null ? "" : arg,
                _ => value ?? "",
            };
        });
}
