using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;

namespace SemiSeg.Training.Tests.Fuzz;

/// <summary>How a file is damaged: byte flips, truncation, inserted or deleted tokens, numbers replaced by extremes,
/// deep nesting, duplicated or swapped lines. Positions are fractions of the length, so a mutation applies to any file.</summary>
public sealed record Mutation(MutationKind Kind, double At, int Pick)
{
    public override string ToString() => $"{Kind}@{At:F3}#{Pick}";
}

public enum MutationKind
{
    FlipByte,
    Truncate,
    InsertToken,
    DeleteSpan,
    ReplaceNumber,
    DeepNesting,
    DuplicateLine,
    SwapLines,
}

public static partial class Mutations
{
    /// <summary>Tokens that YAML, JSON and our loaders give meaning to, and bytes that are not UTF-8.</summary>
    private static readonly string[] Tokens =
    [
        ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "\"", "'", "#", "\n", "\t", "  ", "? ", "&a ", "*a", "*b", "!!binary ",
        "!!int ", "---\n", "...\n", "|", ">", "~", "null", "true", "..", "/", "../../", "\u0000", "\uFEFF", "\u00ff", "é",
        "<<: ", "%YAML 1.2\n", "0x1F", "1e999", "NaN", "-", "{}", "[]", "\"\"", "\r\n", "\\u0000", "\\",
    ];

    /// <summary>Numbers at and past every limit: overflows, non-finite values, negatives, fractions, non-numbers.</summary>
    private static readonly string[] Extremes =
    [
        "1e999", "-1e999", ".inf", "-.inf", ".nan", "NaN", "Infinity", "-Infinity", "2147483647", "2147483648", "-2147483649",
        "9223372036854775808", "99999999999999999999999", "0", "-0", "-1", "-3", "0.5", "1.5", "1e-300", "4.9e-324",
        "1/0", "1/3", "0x10", "1_000", "", "\"7\"", "[1]", "{a: 1}", "1e308", "65536", "100000000", "4096", "10001",
    ];

    private static readonly byte[] InvalidUtf8 = [0xff, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x90, 0x80, 0xc0, 0xaf];

    /// <summary>One to four mutations; shrinking drops mutations and moves their positions toward the start.</summary>
    public static Arbitrary<Mutation[]> Arbitrary()
    {
        var one = Gen.Choose(0, Enum.GetValues<MutationKind>().Length - 1).SelectMany(
            kind => Gen.Choose(0, 100_000).SelectMany(at => Gen.Choose(0, 1_000_000).Select(pick => new Mutation((MutationKind)kind, at / 100_000.0, pick))));
        var list = Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(one, n));
        return Arb.From(list, Shrink);
    }

    private static IEnumerable<Mutation[]> Shrink(Mutation[] mutations)
    {
        for (int i = 0; i < mutations.Length && mutations.Length > 1; i++)
        {
            yield return [.. mutations[..i], .. mutations[(i + 1)..]];
        }
        for (int i = 0; i < mutations.Length; i++)
        {
            if (mutations[i].At > 0)
            {
                var copy = (Mutation[])mutations.Clone();
                copy[i] = copy[i] with { At = Math.Floor(copy[i].At * 50) / 100 };
                yield return copy;
            }
        }
    }

    public static byte[] Apply(byte[] original, IEnumerable<Mutation> mutations) =>
        mutations.Aggregate(original, (bytes, mutation) => Apply(bytes, mutation));

    private static byte[] Apply(byte[] bytes, Mutation m)
    {
        int at = (int)(m.At * bytes.Length);
        at = Math.Clamp(at, 0, bytes.Length);
        switch (m.Kind)
        {
            case MutationKind.FlipByte when bytes.Length > 0:
                var flipped = (byte[])bytes.Clone();
                int index = Math.Min(at, bytes.Length - 1);
                flipped[index] = m.Pick % 3 == 0 ? InvalidUtf8[m.Pick % InvalidUtf8.Length] : (byte)(flipped[index] ^ (1 << (m.Pick % 8)));
                return flipped;
            case MutationKind.Truncate:
                return bytes[..at];
            case MutationKind.InsertToken:
                return [.. bytes[..at], .. Encoding.UTF8.GetBytes(Tokens[m.Pick % Tokens.Length]), .. bytes[at..]];
            case MutationKind.DeleteSpan:
                return [.. bytes[..at], .. bytes[Math.Min(bytes.Length, at + 1 + m.Pick % 48)..]];
            case MutationKind.ReplaceNumber:
                // Latin-1 maps bytes to chars one to one, so non-UTF-8 bytes survive the round trip.
                string text = Encoding.Latin1.GetString(bytes);
                var numbers = Number().Matches(text);
                if (numbers.Count == 0)
                {
                    return bytes;
                }
                var number = numbers[(int)(m.At * numbers.Count) % numbers.Count];
                string replaced = text[..number.Index] + Extremes[m.Pick % Extremes.Length] + text[(number.Index + number.Length)..];
                return Encoding.Latin1.GetBytes(replaced);
            case MutationKind.DeepNesting:
                int depth = m.Pick % 4 == 0 ? 5000 : 40 + m.Pick % 60;
                string nesting = (m.Pick % 3) switch
                {
                    0 => new string('[', depth) + new string(']', depth),
                    1 => string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth),
                    _ => "\n" + string.Concat(Enumerable.Range(0, Math.Min(depth, 300)).Select(i => new string(' ', i) + "- x:\n")),
                };
                return [.. bytes[..at], .. Encoding.UTF8.GetBytes(nesting), .. bytes[at..]];
            case MutationKind.DuplicateLine or MutationKind.SwapLines:
                var lines = Encoding.Latin1.GetString(bytes).Split('\n').ToList();
                int line = Math.Min((int)(m.At * lines.Count), lines.Count - 1);
                if (m.Kind == MutationKind.DuplicateLine)
                {
                    lines.Insert(line, lines[line]);
                }
                else if (line + 1 < lines.Count)
                {
                    (lines[line], lines[line + 1]) = (lines[line + 1], lines[line]);
                }
                return Encoding.Latin1.GetBytes(string.Join('\n', lines));
            default:
                return bytes;
        }
    }

    /// <summary>Replaces the trailing SHA-256 of a checkpoint with the hash of its (mutated) body, so the damage reaches
    /// the header and section parsing behind the integrity check.</summary>
    public static byte[] Rehash(byte[] checkpoint)
    {
        if (checkpoint.Length < 32)
        {
            return checkpoint;
        }
        byte[] body = checkpoint[..^32];
        return [.. body, .. SHA256.HashData(body)];
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?([eE][-+]?\d+)?")]
    private static partial Regex Number();
}
