using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace SemiSeg.Training.Config;

/// <summary>
/// Loads the one YAML (or JSON) document of a config or manifest into a node tree, refusing what the node model would
/// crash on or what no config needs, each with the line and the dotted field: nesting deeper than
/// <see cref="MaxDepth"/> (YamlDotNet recurses per level, so a runaway "[[[[..." would overflow the stack), keys that
/// are lists or sections (<c>? [a, b] : c</c>), a key given twice in one section, aliases to an anchor that is not
/// defined above or that refers to the section it is in (a cycle), and a second document. Anchors and aliases that
/// refer back to a finished node are allowed. Every other parser error is a <see cref="ConfigException"/> too.
/// </summary>
public static class YamlDocumentReader
{
    /// <summary>The deepest nesting of sections and lists accepted (a run config needs 3 levels, a manifest 5).</summary>
    public const int MaxDepth = 64;

    /// <summary>Parses <paramref name="text"/>; the root may be any node (callers check that it is a mapping).</summary>
    public static YamlNode? Load(string text, string? file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new GuardedParser(new Parser(new StringReader(text)), file));
        }
        catch (ConfigException)
        {
            throw;
        }
        catch (YamlException e)
        {
            throw SyntaxError(e, text, file);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException or InvalidCastException)
        {
            // A parser bug on hostile input is still an unreadable file, not a crash.
            throw new ConfigException(file, null, "(syntax)", $"not valid YAML or JSON ({FirstLine(e.Message)})", "check the file's syntax");
        }
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }

    private static ConfigException SyntaxError(YamlException e, string text, string? file)
    {
        int line = (int)e.Start.Line;
        string message = FirstLine(e.Message);
        if (message.Contains("tab", StringComparison.OrdinalIgnoreCase) && TabIndentedLine(text, Math.Max(1, line)) is int tabLine)
        {
            // YamlDotNet reports a tab in indentation at the start of the enclosing section, often line 1.
            return new ConfigException(file, tabLine, "(indentation)", "the line is indented with a tab; YAML indents with spaces only",
                "replace the tab with spaces");
        }
        return new ConfigException(file, line, "(syntax)", $"not valid YAML or JSON ({message})", "check indentation, quoting, brackets and colons around that line");
    }

    /// <summary>The first line at or after <paramref name="fromLine"/> whose indentation contains a tab.</summary>
    private static int? TabIndentedLine(string text, int fromLine)
    {
        string[] lines = text.Split('\n');
        for (int i = fromLine - 1; i < lines.Length; i++)
        {
            string indentation = lines[i][..(lines[i].Length - lines[i].TrimStart(' ', '\t').Length)];
            if (indentation.Contains('\t', StringComparison.Ordinal))
            {
                return i + 1;
            }
        }
        return null;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    /// <summary>Passes parser events through, tracking where each node is (its dotted field) to refuse what the node
    /// model should never see.</summary>
    private sealed class GuardedParser(IParser inner, string? file) : IParser
    {
        private readonly Stack<Frame> open = new();
        private readonly HashSet<string> finishedAnchors = new(StringComparer.Ordinal);
        private int documents;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (!inner.MoveNext())
            {
                return false;
            }
            switch (inner.Current)
            {
                case DocumentStart start:
                    if (++documents > 1)
                    {
                        throw Error(start, "(document)", "the file holds more than one YAML document ('---')", "keep one document per file");
                    }
                    break;
                case Scalar scalar:
                    Place(scalar);
                    if (!scalar.Anchor.IsEmpty)
                    {
                        finishedAnchors.Add(scalar.Anchor.Value);
                    }
                    break;
                case AnchorAlias alias:
                    string where = Place(alias);
                    if (!finishedAnchors.Contains(alias.Value.Value))
                    {
                        bool cycle = open.Any(f => f.Anchor == alias.Value.Value);
                        throw Error(alias, where, cycle
                                ? $"the alias *{alias.Value.Value} refers to the section or list it is in (a cycle)"
                                : $"the alias *{alias.Value.Value} refers to no anchor &{alias.Value.Value} defined above it",
                            "write the value out, or define the anchor earlier in the file");
                    }
                    break;
                case MappingStart mapping:
                    Open(mapping, isMapping: true);
                    break;
                case SequenceStart sequence:
                    Open(sequence, isMapping: false);
                    break;
                case MappingEnd or SequenceEnd:
                    var closed = open.Pop();
                    if (closed.Anchor is string anchor)
                    {
                        finishedAnchors.Add(anchor);
                    }
                    break;
            }
            return true;
        }

        private void Open(NodeEvent start, bool isMapping)
        {
            string path = Place(start);
            if (open.Count >= MaxDepth)
            {
                string shown = path.Length == 0 ? "(root)" : path.Length <= 48 ? path : $"{path[..48]}...";
                throw Error(start, shown, $"sections and lists are nested more than {MaxDepth} levels deep",
                    "check for unclosed or runaway brackets; configs need only a few levels");
            }
            open.Push(new Frame(isMapping, path, start.Anchor.IsEmpty ? null : start.Anchor.Value));
        }

        /// <summary>Places a node in its parent; returns its dotted field. Keys must be plain scalars, given once.</summary>
        private string Place(ParsingEvent node)
        {
            if (open.Count == 0)
            {
                return "";
            }
            var parent = open.Peek();
            if (!parent.IsMapping)
            {
                return $"{(parent.Path.Length == 0 ? "(root)" : parent.Path)}[{parent.Index++}]";
            }
            if (!parent.ExpectKey)
            {
                parent.ExpectKey = true;
                return parent.FieldOf(parent.Key!);
            }
            parent.ExpectKey = false;
            if (node is not Scalar key)
            {
                throw Error(node, parent.Path.Length == 0 ? "(root)" : parent.Path, "a key is a list, a section or an alias",
                    "write keys as plain names, e.g. 'teacher: mt'");
            }
            if (parent.Keys.TryGetValue(key.Value, out int first))
            {
                throw Error(node, parent.FieldOf(key.Value), $"given twice in the same section (first on line {first})", "remove one of them");
            }
            parent.Keys[key.Value] = (int)key.Start.Line;
            parent.Key = key.Value;
            return parent.FieldOf(key.Value);
        }

        private ConfigException Error(ParsingEvent at, string field, string problem, string fix) =>
            new(file, (int)at.Start.Line, field, problem, fix);

        private sealed class Frame(bool isMapping, string path, string? anchor)
        {
            public bool IsMapping { get; } = isMapping;
            public string Path { get; } = path;
            public string? Anchor { get; } = anchor;
            public bool ExpectKey { get; set; } = true;
            public int Index { get; set; }
            public string? Key { get; set; }
            public Dictionary<string, int> Keys { get; } = new(StringComparer.Ordinal);

            public string FieldOf(string key) => Path.Length == 0 ? key : $"{Path}.{key}";
        }
    }
}
