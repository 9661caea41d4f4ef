using System.Collections.Concurrent;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SemiSeg.Training.Config;

/// <summary>
/// Maps a YAML (or JSON: YAML is a superset) mapping node onto a settable-property object graph. We walk the node
/// tree ourselves instead of using a deserializer so that every error names the line and the dotted field path, and
/// unknown fields are errors with a suggestion.
/// </summary>
public static class YamlObjectMapper
{
    /// <summary>Parses text and fills a new <typeparamref name="T"/>; fields absent from the text keep their defaults.</summary>
    public static T Read<T>(string text, string? file) where T : new()
    {
        var root = ParseRoot(text, file);
        var target = new T();
        Fill(target, root, "", file);
        return target;
    }

    /// <summary>Parses text into its root mapping node, with a clear error for syntax errors or a non-mapping root.</summary>
    public static YamlMappingNode ParseRoot(string text, string? file) => YamlDocumentReader.Load(text, file) switch
    {
        YamlMappingNode root => root,
        null => throw new ConfigException(file, 1, "(root)", "the file is empty", "write fields as 'name: value' lines (see sweeps/examples/)"),
        YamlScalarNode { Value: null or "" or "~" or "null" } scalar => throw new ConfigException(file, Line(scalar), "(root)", "the file is empty", "write fields as 'name: value' lines (see sweeps/examples/)"),
        YamlSequenceNode list => throw new ConfigException(file, Line(list), "(root)", "the file is a list, not a mapping of fields", "write fields as 'name: value' lines (see sweeps/examples/)"),
        var other => throw new ConfigException(file, Line(other), "(root)", "the file is a single value, not a mapping of fields", "write fields as 'name: value' lines (see sweeps/examples/)"),
    };

    /// <summary>Fills <paramref name="target"/>'s properties from <paramref name="node"/>.</summary>
    public static void Fill(object target, YamlMappingNode node, string path, string? file)
    {
        var properties = PropertiesByYamlName(target.GetType());
        foreach (var (keyNode, valueNode) in node.Children)
        {
            string key = ((YamlScalarNode)keyNode).Value ?? "";
            string field = path.Length == 0 ? key : $"{path}.{key}";
            if (!properties.TryGetValue(key, out var property))
            {
                throw new ConfigException(file, Line(keyNode), field, "unknown field",
                    SuggestField(key, properties.Keys, path));
            }
            object? value = Convert(valueNode, property.PropertyType, field, file, property.GetValue(target), AcceptsNull(property));
            property.SetValue(target, value);
        }
    }

    /// <summary>The snake_case name used in files for a C# property name (EncoderLr → encoder_lr).</summary>
    public static string YamlName(string propertyName) => JsonNamingPolicy.SnakeCaseLower.ConvertName(propertyName);

    internal static int Line(YamlNode node) => (int)node.Start.Line;

    /// <summary>A deep copy of a settable-property object graph (the shape this mapper fills): strings and values are
    /// shared, arrays and sections copied. Much cheaper than a round trip through text.</summary>
    public static T DeepCopy<T>(T source) where T : class => (T)Copy(source)!;

    private static object? Copy(object? value)
    {
        switch (value)
        {
            case null or string or ValueType:
                return value;
            case Array array:
                var copy = Array.CreateInstance(array.GetType().GetElementType()!, array.Length);
                for (int i = 0; i < array.Length; i++)
                {
                    copy.SetValue(Copy(array.GetValue(i)), i);
                }
                return copy;
            default:
                var type = Copiers.GetOrAdd(value.GetType(), CompileCopier);
                object target = type.Create();
                foreach (var (get, set) in type.Properties)
                {
                    set(target, Copy(get(value)));
                }
                return target;
        }
    }

    private sealed record Copier(Func<object> Create, (Func<object, object?> Get, Action<object, object?> Set)[] Properties);

    private static readonly ConcurrentDictionary<Type, Copier> Copiers = new();

    /// <summary>Compiled accessors: a sweep copies a config per cell, and reflection's GetValue/SetValue would dominate.</summary>
    private static Copier CompileCopier(Type type)
    {
        var instance = Expression.Parameter(typeof(object));
        var value = Expression.Parameter(typeof(object));
        var properties = PropertiesByYamlName(type).Values.Select(p =>
        {
            var typed = Expression.Convert(instance, type);
            var get = Expression.Lambda<Func<object, object?>>(Expression.Convert(Expression.Property(typed, p), typeof(object)), instance).Compile();
            var set = Expression.Lambda<Action<object, object?>>(Expression.Assign(Expression.Property(typed, p), Expression.Convert(value, p.PropertyType)), instance, value).Compile();
            return (get, set);
        }).ToArray();
        var create = Expression.Lambda<Func<object>>(Expression.Convert(Expression.New(type), typeof(object))).Compile();
        return new Copier(create, properties);
    }

    private static readonly ConcurrentDictionary<Type, Dictionary<string, PropertyInfo>> PropertiesCache = new();

    private static Dictionary<string, PropertyInfo> PropertiesByYamlName(Type type) =>
        PropertiesCache.GetOrAdd(type, t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .ToDictionary(p => YamlName(p.Name), StringComparer.Ordinal));

    private static readonly ConcurrentDictionary<PropertyInfo, bool> NullableProperties = new();

    /// <summary>Whether a property is declared nullable (int?, string?): only those take "null" or an empty value; a
    /// section or list set to null would crash every reader of the config.</summary>
    private static bool AcceptsNull(PropertyInfo property) =>
        NullableProperties.GetOrAdd(property, p => new NullabilityInfoContext().Create(p).WriteState == NullabilityState.Nullable);

    private static object? Convert(YamlNode node, Type type, string field, string? file, object? current, bool nullable)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        type = underlying ?? type;

        if (node is YamlScalarNode { Style: ScalarStyle.Plain } nullScalar && IsNull(nullScalar.Value))
        {
            if (nullable)
            {
                return null;
            }
            throw new ConfigException(file, Line(node), field, "must not be empty", $"give a {Describe(type)}");
        }

        if (type == typeof(string))
        {
            return ExpectScalar(node, field, file, "a text value").Value ?? "";
        }
        if (type == typeof(int) || type == typeof(long))
        {
            string text = ExpectScalar(node, field, file, Describe(type)).Value ?? "";
            long max = type == typeof(int) ? int.MaxValue : long.MaxValue, min = type == typeof(int) ? int.MinValue : long.MinValue;
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long whole) && whole >= min && whole <= max)
            {
                return type == typeof(int) ? (object)(int)whole : whole;
            }
            bool isNumber = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number);
            string problem = isNumber && (Math.Abs(number) > max || !double.IsFinite(number))
                ? $"{text} is out of range (whole numbers here go from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)})"
                : $"'{text}' is not {Describe(type)}";
            throw new ConfigException(file, Line(node), field, problem, $"write {Describe(type)}, e.g. {Example(type)}");
        }
        if (type == typeof(double))
        {
            string text = ExpectScalar(node, field, file, Describe(type)).Value ?? "";
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
            {
                throw new ConfigException(file, Line(node), field, $"'{text}' is not {Describe(type)}", $"write {Describe(type)}, e.g. {Example(type)}");
            }
            if (!double.IsFinite(number))
            {
                // .NET reads "1e999" as infinity and accepts "NaN" and "Infinity"; none of them is a usable setting.
                throw new ConfigException(file, Line(node), field, $"'{text}' is not a finite number", $"write a number between -1e308 and 1e308, e.g. {Example(type)}");
            }
            return number;
        }
        if (type == typeof(bool))
        {
            string text = ExpectScalar(node, field, file, "true or false").Value ?? "";
            return text switch
            {
                "true" or "True" or "TRUE" => true,
                "false" or "False" or "FALSE" => false,
                _ => throw new ConfigException(file, Line(node), field, $"'{text}' is not true or false", "write true or false"),
            };
        }
        if (type.IsArray)
        {
            if (node is not YamlSequenceNode sequence)
            {
                throw new ConfigException(file, Line(node), field, "must be a list", $"write a list, e.g. [{Example(type.GetElementType()!)}, {Example(type.GetElementType()!)}]");
            }
            var elementType = type.GetElementType()!;
            var array = Array.CreateInstance(elementType, sequence.Children.Count);
            for (int i = 0; i < sequence.Children.Count; i++)
            {
                array.SetValue(Convert(sequence.Children[i], elementType, $"{field}[{i}]", file, null, Nullable.GetUnderlyingType(elementType) is not null), i);
            }
            return array;
        }
        if (type.IsClass)
        {
            if (node is not YamlMappingNode mapping)
            {
                throw new ConfigException(file, Line(node), field, "must be a section of fields",
                    $"indent its fields under '{field.Split('.')[^1]}:'");
            }
            object target = current ?? Activator.CreateInstance(type)!;
            Fill(target, mapping, field, file);
            return target;
        }
        throw new InvalidOperationException($"Config property type {type} is not supported by {nameof(YamlObjectMapper)}.");
    }

    private static YamlScalarNode ExpectScalar(YamlNode node, string field, string? file, string what) =>
        node as YamlScalarNode ?? throw new ConfigException(file, Line(node), field, $"must be {what}, not a list or section", $"write {what}");

    private static bool IsNull(string? value) => value is null or "" or "~" or "null" or "Null" or "NULL";

    private static string Describe(Type type) =>
        type == typeof(int) || type == typeof(long) ? "a whole number"
        : type == typeof(double) ? "a number"
        : type == typeof(bool) ? "true or false"
        : type == typeof(string) ? "a text value"
        : type.IsArray ? "a list"
        : "a section of fields";

    private static string Example(Type type) =>
        type == typeof(int) || type == typeof(long) ? "8" : type == typeof(double) ? "0.5" : type == typeof(bool) ? "true" : "value";

    /// <summary>The name in <paramref name="names"/> closest to a misspelt <paramref name="key"/>, if one is close enough.</summary>
    public static string? ClosestName(string key, IEnumerable<string> names)
    {
        string? closest = names.MinBy(n => Levenshtein(n, key));
        return closest is not null && Levenshtein(closest, key) <= Math.Max(2, key.Length / 3) ? closest : null;
    }

    private static string SuggestField(string key, IEnumerable<string> valid, string path)
    {
        var names = valid.Order(StringComparer.Ordinal).ToList();
        string? closest = ClosestName(key, names);
        string section = path.Length == 0 ? "the top level" : $"'{path}'";
        string list = string.Join(", ", names);
        return closest is not null
            ? $"did you mean '{closest}'? Fields allowed in {section}: {list}"
            : $"remove it or use one of the fields allowed in {section}: {list}";
    }

    internal static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

}
