using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SemiSeg.Deploy.Tests;

/// <summary>
/// Loads YAML into plain values the way Docker Compose sees them: a mapping is a
/// <see cref="Dictionary{TKey, TValue}"/> (string keys, document order), a sequence a <see cref="List{T}"/>, a scalar
/// its text (null for an empty or <c>null</c>/<c>~</c> plain scalar). Anchors and aliases are resolved, and so are
/// YAML merge keys (<c>&lt;&lt;: *anchor</c> or <c>&lt;&lt;: [*a, *b]</c>): explicit keys win, then earlier sources.
/// </summary>
public static class YamlTree
{
    /// <summary>Parses <paramref name="text"/>; a syntax error becomes a <see cref="FormatException"/> with its line.</summary>
    public static object? Parse(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new FormatException($"line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static object? Convert(YamlNode node) => node switch
    {
        YamlScalarNode scalar => scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null"
            ? null
            : scalar.Value,
        YamlSequenceNode sequence => sequence.Children.Select(Convert).ToList(),
        YamlMappingNode mapping => ConvertMapping(mapping),
        _ => throw new FormatException($"line {node.Start.Line}: unresolved YAML alias"),
    };

    private static Dictionary<string, object?> ConvertMapping(YamlMappingNode mapping)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        var merged = new List<Dictionary<string, object?>>();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            string key = keyNode is YamlScalarNode k ? k.Value ?? "" : throw new FormatException(
                $"line {keyNode.Start.Line}: a mapping key must be a scalar");
            if (key == "<<" && keyNode is YamlScalarNode { Style: ScalarStyle.Plain })
            {
                var sources = Convert(valueNode) switch
                {
                    Dictionary<string, object?> one => [one],
                    List<object?> many when many.All(m => m is Dictionary<string, object?>) =>
                        many.Cast<Dictionary<string, object?>>().ToList(),
                    _ => throw new FormatException($"line {valueNode.Start.Line}: '<<' must merge a mapping or a list of mappings"),
                };
                merged.AddRange(sources);
                continue;
            }
            if (!result.TryAdd(key, Convert(valueNode)))
            {
                throw new FormatException($"line {keyNode.Start.Line}: duplicate key '{key}'");
            }
        }
        foreach (var source in merged)
        {
            foreach (var (key, value) in source)
            {
                result.TryAdd(key, value);
            }
        }
        return result;
    }

    /// <summary>The mapping at <paramref name="key"/>, or null when absent (a non-mapping value is reported by the caller).</summary>
    public static Dictionary<string, object?>? Map(this Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var value) ? value as Dictionary<string, object?> : null;

    public static string? Str(this Dictionary<string, object?> map, string key) =>
        map.TryGetValue(key, out var value) ? value as string : null;

    /// <summary>Every scalar in a value, with its path (e.g. <c>services.coordinator.ports[0]</c>).</summary>
    public static IEnumerable<(string Path, string Value)> Scalars(object? value, string path)
    {
        switch (value)
        {
            case string s:
                yield return (path, s);
                break;
            case List<object?> list:
                for (int i = 0; i < list.Count; i++)
                {
                    foreach (var item in Scalars(list[i], $"{path}[{i}]"))
                    {
                        yield return item;
                    }
                }
                break;
            case Dictionary<string, object?> map:
                foreach (var (key, child) in map)
                {
                    foreach (var item in Scalars(child, path.Length == 0 ? key : $"{path}.{key}"))
                    {
                        yield return item;
                    }
                }
                break;
        }
    }
}
