using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SemiSeg.Security;
using SemiSeg.Training.Config;
using SemiSeg.Training.Models;
using YamlDotNet.RepresentationModel;

namespace SemiSeg.Sweeps;

/// <summary>One cell of a sweep: a resolved run config without its seed, and the axis values that name it.</summary>
public sealed record SweepCell(string Key, IReadOnlyDictionary<string, string> Labels, RunConfig Config);

/// <summary>One run: a cell at one seed. <see cref="Key"/> is its content key.</summary>
public sealed record SweepRun(string Key, string CellKey, int Seed, RunConfig Config);

/// <summary>
/// Which axes form a report table's rows and columns, and which result field it shows. <paramref name="Baseline"/>
/// names the row every other row is compared with, column by column (row axis → value, e.g. teacher → none); without
/// it a table has no significance markers. <paramref name="HigherIsBetter"/> is false for metrics like losses.
/// </summary>
public sealed record ReportLayout(
    IReadOnlyList<string> Rows,
    IReadOnlyList<string> Columns,
    string Metric,
    IReadOnlyDictionary<string, string>? Baseline = null,
    bool HigherIsBetter = true);

/// <summary>
/// A sweep manifest (sweeps/*.yaml): a base run config, axes whose product gives the cells (or an explicit list of
/// configurations), exclusions, seeds, and a report layout. Expansion is deterministic: cells come in the order of
/// the configurations and axes as written, runs in cell order then seed order.
/// </summary>
/// <remarks>
/// Axis names are a run-config field as a dotted path (<c>algorithm.alpha</c>) or one of the short names in
/// <see cref="ShortNames"/>. Cells whose resolved configs are equal collapse into one; in particular a supervised cell
/// (teacher none, perturb_labeled false) ignores perturbation and variant, so "supervised × every perturbation" is
/// one cell.
/// </remarks>
public sealed class SweepManifest
{
    public static readonly IReadOnlyDictionary<string, string> ShortNames = new Dictionary<string, string>
    {
        ["teacher"] = "algorithm.teacher",
        ["perturbation"] = "algorithm.perturbation",
        ["variant"] = "algorithm.variant",
        ["alpha"] = "algorithm.alpha",
        ["s_p"] = "algorithm.photometric_strength",
        ["s_g"] = "algorithm.geometric_strength",
        ["label_fraction"] = "data.label_fraction",
        ["labeled_count"] = "data.labeled_count",
        ["dataset"] = "data.dataset",
        ["model"] = "model.architecture",
        ["steps"] = "schedule.steps",
    };

    private static readonly string[] TopLevelFields = ["sweep", "base", "seeds", "axes", "configurations", "exclude", "report"];

    /// <summary>The most seeds a manifest may list or count.</summary>
    public const int MaxSeeds = 10_000;

    /// <summary>The most axis combinations (configurations x axis values) a manifest may expand, before exclusions.</summary>
    public const long MaxCombinations = 1_000_000;

    /// <summary>The most runs (cells x seeds) a manifest may define.</summary>
    public const long MaxRuns = 1_000_000;

    private SweepManifest(string id, string? file, IReadOnlyList<SweepCell> cells, IReadOnlyList<int> seeds, ReportLayout report)
    {
        Id = id;
        File = file;
        Cells = cells;
        Seeds = seeds;
        Report = report;
    }

    public string Id { get; }
    public string? File { get; }
    public IReadOnlyList<SweepCell> Cells { get; }
    public IReadOnlyList<int> Seeds { get; }
    public ReportLayout Report { get; }

    /// <summary>Every run: cells × seeds, each with its content key. <paramref name="datasetIdentity"/> names the data a
    /// run sees (e.g. the training split's <c>DatasetInfo.Identity</c>), so new data files give new keys.</summary>
    public IReadOnlyList<SweepRun> Runs(string codeVersion, Func<DataConfig, string> datasetIdentity) =>
        Cells.SelectMany(cell => Seeds.Select(seed =>
        {
            var config = RunConfigLoader.Clone(cell.Config);
            config.Seed = seed;
            return new SweepRun(ContentKeys.Run(config, codeVersion, datasetIdentity(config.Data)), cell.Key, seed, config);
        })).ToList();

    public static SweepManifest Load(string path) => Load(path, out _);

    /// <summary>Loads a manifest file; <paramref name="text"/> is the text it was read from (strict UTF-8).</summary>
    public static SweepManifest Load(string path, out string text)
    {
        text = ConfigFiles.ReadText(path, "manifest", "check the path of the manifest (e.g. sweeps/quickstart.yaml)");
        return Parse(text, path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Parses and expands a manifest; <paramref name="baseDirectory"/> resolves a relative <c>base:</c> path.</summary>
    public static SweepManifest Parse(string text, string? file, string baseDirectory)
    {
        var root = YamlObjectMapper.ParseRoot(text, file);
        foreach (var key in root.Children.Keys.Cast<YamlScalarNode>())
        {
            if (!TopLevelFields.Contains(key.Value))
            {
                throw new ConfigException(file, Line(key), key.Value ?? "", "unknown field", $"use one of: {string.Join(", ", TopLevelFields)}");
            }
        }

        string id = Scalar(root, "sweep", file) ?? throw Missing(file, "sweep", "name the sweep, e.g. 'sweep: quickstart'");
        if (SafeNames.SweepIdProblem(id) is string idProblem)
        {
            // The id names folders in the store and under runs/: only safe names get in.
            throw new ConfigException(file, Line(root.Children[new YamlScalarNode("sweep")]), "sweep", $"{SafeNames.Show(id)} {idProblem}",
                $"use {SafeNames.SweepIdRule}, e.g. 'sweep: {SafeNames.Suggest(id)}'");
        }
        root.Children.TryGetValue(new YamlScalarNode("base"), out var baseNode);
        var baseConfig = LoadBase(baseNode, file, baseDirectory);
        var seeds = ParseSeeds(root, file);
        var configurations = root.Children.TryGetValue(new YamlScalarNode("configurations"), out var listed)
            ? ((listed as YamlSequenceNode) ?? throw new ConfigException(file, Line(listed), "configurations", "must be a list of mappings", "write '- {teacher: mt, perturbation: phtps}' items"))
                .Children.Select((n, i) => Assignments(n, $"configurations[{i}]", file)).ToList()
            : [new List<Assignment>()];
        var axes = root.Children.TryGetValue(new YamlScalarNode("axes"), out var axesNode) ? ParseAxes(axesNode, file) : [];
        var exclusions = root.Children.TryGetValue(new YamlScalarNode("exclude"), out var excludeNode)
            ? ((excludeNode as YamlSequenceNode) ?? throw new ConfigException(file, Line(excludeNode), "exclude", "must be a list of mappings", "write '- {teacher: none, perturbation: cutmix}' items"))
                .Children.Select((n, i) => Assignments(n, $"exclude[{i}]", file)).ToList()
            : [];

        // Checked before expanding anything: a runaway manifest is refused at once, with numbers.
        double combinations = configurations.Count * axes.Aggregate(1.0, (product, axis) => product * axis.Values.Count);
        if (combinations > MaxCombinations)
        {
            var first = (YamlNode?)axesNode ?? listed;
            throw new ConfigException(file, first is null ? null : Line(first), axes.Count > 0 ? "axes" : "configurations",
                $"the axes make {combinations:N0} combinations ({string.Join(" x ", axes.Select(a => a.Values.Count).Prepend(configurations.Count).Where(n => n != 1))}), more than the limit of {MaxCombinations:N0}",
                "split the sweep into several manifests, or use fewer axis values");
        }

        var cells = new List<SweepCell>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var configuration in configurations)
        {
            foreach (var combination in Product(axes))
            {
                var assignments = configuration.Concat(combination).ToList();
                if (exclusions.Any(exclusion => exclusion.All(e => assignments.Any(a => a.Path == e.Path && a.Value == e.Value))))
                {
                    continue;
                }
                var config = Resolve(baseConfig, baseNode, assignments, file);
                string key = ContentKeys.Cell(config);
                if (seen.Add(key))
                {
                    var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var assignment in assignments)
                    {
                        labels[assignment.Name] = assignment.Value;
                    }
                    cells.Add(new SweepCell(key, labels, config));
                }
            }
        }
        if (cells.Count == 0)
        {
            throw new ConfigException(file, null, "exclude", "every cell is excluded", "remove or narrow an exclusion");
        }
        if ((long)cells.Count * seeds.Count > MaxRuns)
        {
            throw new ConfigException(file, SeedsLine(root), "seeds", $"{cells.Count:N0} cells x {seeds.Count:N0} seeds make {(long)cells.Count * seeds.Count:N0} runs, more than the limit of {MaxRuns:N0}",
                "use fewer seeds or cells, or split the sweep into several manifests");
        }
        var axisNames = axes.Select(a => a.Name).Concat(configurations.SelectMany(c => c.Select(a => a.Name))).Distinct().ToList();
        return new SweepManifest(id, file, cells, seeds, ParseReport(root, file, axisNames, cells));
    }

    private sealed record Assignment(string Name, string Path, string Value, YamlNode Node);

    private sealed record Axis(string Name, List<Assignment> Values);

    private static RunConfig LoadBase(YamlNode? node, string? file, string baseDirectory)
    {
        switch (node)
        {
            case null:
                return new RunConfig();
            case YamlMappingNode inline:
                var config = new RunConfig();
                YamlObjectMapper.Fill(config, inline, "base", file);
                RunConfigLoader.Validate(config, file, field => RunConfigLoader.LineOf(inline, field) ?? Line(inline));
                return config;
            case YamlScalarNode { Value: { Length: > 0 } relative }:
                string path = Path.Combine(baseDirectory, relative);
                if (!System.IO.File.Exists(path))
                {
                    throw new ConfigException(file, Line(node), "base", $"run config '{relative}' not found (looked in {baseDirectory})", "give a path relative to the manifest, or an inline mapping");
                }
                return RunConfigLoader.Load(path);
            default:
                throw new ConfigException(file, Line(node), "base", "must be the path of a run config or an inline mapping of its fields",
                    "write e.g. 'base: examples/tiny-fashionscenes-mt-phtps.yaml' or 'base: {schedule: {steps: 100}}'");
        }
    }

    private static List<int> ParseSeeds(YamlMappingNode root, string? file)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode("seeds"), out var node))
        {
            return [0];
        }
        static bool IsInt(string? s, out int value) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
        string limit = $"at most {MaxSeeds:N0} seeds (each seed is a full training run)";
        if (node is YamlScalarNode scalar && long.TryParse(scalar.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long many) && many > MaxSeeds)
        {
            throw new ConfigException(file, Line(node), "seeds", $"{scalar.Value} seeds is more than the limit: {limit}", "write e.g. seeds: 5");
        }
        if (node is YamlScalarNode countNode && IsInt(countNode.Value, out int count) && count > 0)
        {
            return Enumerable.Range(0, count).ToList();
        }
        if (node is YamlSequenceNode { Children.Count: > MaxSeeds } longList)
        {
            throw new ConfigException(file, Line(node), "seeds", $"{longList.Children.Count:N0} seeds are listed: {limit}", "list fewer seeds");
        }
        if (node is YamlSequenceNode list && list.Children.Count > 0)
        {
            var seeds = list.Children.Select(c => c is YamlScalarNode s && IsInt(s.Value, out int v) ? v
                : throw new ConfigException(file, Line(c), "seeds", "every seed must be a whole number", "write e.g. seeds: [53, 54, 55]")).ToList();
            if (seeds.Distinct().Count() != seeds.Count)
            {
                throw new ConfigException(file, Line(node), "seeds", "a seed is listed twice (it would be counted twice)", "list each seed once");
            }
            return seeds;
        }
        throw new ConfigException(file, Line(node), "seeds", "must be a positive count or a list of whole numbers", "write e.g. seeds: 5 or seeds: [53, 54, 55]");
    }

    private static List<Axis> ParseAxes(YamlNode node, string? file)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw new ConfigException(file, Line(node), "axes", "must be a mapping of axis name to a list of values", "write e.g. 'teacher: [none, simple, mt]' under axes:");
        }
        return mapping.Children.Select(kv =>
        {
            string name = ((YamlScalarNode)kv.Key).Value ?? "";
            if (kv.Value is not YamlSequenceNode values || values.Children.Count == 0)
            {
                throw new ConfigException(file, Line(kv.Key), $"axes.{name}", "must be a non-empty list of values", $"write e.g. '{name}: [a, b]'");
            }
            return new Axis(name, values.Children.Select(v => Assign(name, v, $"axes.{name}", file, Line(kv.Key))).ToList());
        }).ToList();
    }

    private static List<Assignment> Assignments(YamlNode node, string field, string? file)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw new ConfigException(file, Line(node), field, "must be a mapping of axis name to value", "write e.g. {teacher: mt, perturbation: phtps}");
        }
        return mapping.Children.Select(kv => Assign(((YamlScalarNode)kv.Key).Value ?? "", kv.Value, $"{field}.{((YamlScalarNode)kv.Key).Value}", file, Line(kv.Key))).ToList();
    }

    private static Assignment Assign(string name, YamlNode value, string field, string? file, int line)
    {
        string path = ShortNames.TryGetValue(name, out var full) ? full : name;
        if (!path.Contains('.', StringComparison.Ordinal))
        {
            string? closest = YamlObjectMapper.ClosestName(name, ShortNames.Keys);
            throw new ConfigException(file, line, field, $"'{name}' is neither a short axis name nor a dotted run-config field",
                (closest is null ? "" : $"did you mean '{closest}'? ") + $"Use one of {string.Join(", ", ShortNames.Keys)} or a path like algorithm.alpha");
        }
        if (value is not YamlScalarNode scalar)
        {
            throw new ConfigException(file, Line(value), field, "axis values must be single values", "write each value as a number or a word");
        }
        return new Assignment(name, path, scalar.Value ?? "", value);
    }

    /// <summary>Every combination of one value per axis, the first axis varying slowest; yielded one at a time.</summary>
    private static IEnumerable<Assignment[]> Product(List<Axis> axes)
    {
        var index = new int[axes.Count];
        while (true)
        {
            yield return axes.Select((axis, i) => axis.Values[index[i]]).ToArray();
            int position = axes.Count - 1;
            while (position >= 0 && ++index[position] == axes[position].Values.Count)
            {
                index[position--] = 0;
            }
            if (position < 0)
            {
                yield break;
            }
        }
    }

    /// <summary>The base config with the assignments applied (as nested YAML, so type errors name the manifest line).
    /// A failed check names the line of the assignment it concerns (else the cell's first assignment, else the base).</summary>
    private static RunConfig Resolve(RunConfig baseConfig, YamlNode? baseNode, List<Assignment> assignments, string? file)
    {
        var config = RunConfigLoader.Clone(baseConfig);
        var overrides = new YamlMappingNode();
        foreach (var assignment in assignments)
        {
            var parts = assignment.Path.Split('.');
            var node = overrides;
            foreach (string part in parts[..^1])
            {
                var key = new YamlScalarNode(part);
                if (!node.Children.TryGetValue(key, out var child))
                {
                    child = new YamlMappingNode();
                    node.Children.Add(key, child);
                }
                node = child as YamlMappingNode ?? throw new ConfigException(file, Line(assignment.Node), assignment.Name,
                    $"'{assignment.Path}' sets a field inside another axis's value", "set each run-config field by one axis only");
            }
            node.Children[new YamlScalarNode(parts[^1])] = assignment.Node;
        }
        YamlObjectMapper.Fill(config, overrides, "", file);
        if (config.Algorithm.Teacher == TeacherNames.None && !config.Algorithm.PerturbLabeled)
        {
            // Supervised training ignores these fields: normalise them so equal runs get equal keys.
            var defaults = new AlgorithmConfig();
            config.Algorithm.Perturbation = defaults.Perturbation;
            config.Algorithm.Variant = defaults.Variant;
        }
        try
        {
            RunConfigLoader.Validate(config, file);
            // The weights' hash goes into the config, hence into the cell and run keys.
            PretrainedEncoders.Pin(config.Model);
        }
        catch (ConfigException e)
        {
            string cell = string.Join(", ", assignments.Select(a => $"{a.Name}={a.Value}"));
            string section = e.Field.Split('.')[0];
            var concerned = assignments.FirstOrDefault(a => a.Path == e.Field)
                ?? assignments.FirstOrDefault(a => a.Path.Split('.')[0] == section)
                ?? assignments.FirstOrDefault();
            int? line = concerned is not null ? Line(concerned.Node) : baseNode is null ? null : Line(baseNode);
            throw new ConfigException(file, line, e.Field, $"in the cell {{{cell}}}: {e.Problem}", $"{e.Fix}, or exclude that cell");
        }
        return config;
    }

    private static ReportLayout ParseReport(YamlMappingNode root, string? file, List<string> axisNames, List<SweepCell> cells)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode("report"), out var node))
        {
            return new ReportLayout(axisNames.Take(1).ToList(), axisNames.Skip(1).ToList(), "value");
        }
        if (node is not YamlMappingNode mapping)
        {
            throw new ConfigException(file, Line(node), "report", "must be a section with rows, columns and metric", "write e.g. report: {rows: [teacher], columns: [label_fraction], metric: value}");
        }
        // The mapper fills plain properties only; the baseline is a mapping of axis to value, read by hand.
        var fields = new YamlMappingNode();
        YamlNode? baselineNode = null;
        foreach (var (key, value) in mapping.Children)
        {
            if (key is YamlScalarNode { Value: "baseline" })
            {
                baselineNode = value;
            }
            else
            {
                fields.Children.Add(key, value);
            }
        }
        var layout = new ReportSection();
        YamlObjectMapper.Fill(layout, fields, "report", file);
        foreach (string axis in layout.Rows.Concat(layout.Columns).Where(a => !axisNames.Contains(a) && a != "seed"))
        {
            throw new ConfigException(file, Line(node), "report", $"'{axis}' is not an axis of this sweep", $"use axes named in the manifest: {string.Join(", ", axisNames)}");
        }
        var baseline = baselineNode is null ? null : ParseBaseline(baselineNode, file, layout.Rows, cells);
        return new ReportLayout(layout.Rows, layout.Columns, layout.Metric, baseline, layout.HigherIsBetter);
    }

    /// <summary>The report's baseline: row axes with a value each, which must pick out exactly one row of the table.</summary>
    private static Dictionary<string, string> ParseBaseline(YamlNode node, string? file, string[] rows, List<SweepCell> cells)
    {
        const string Field = "report.baseline";
        string example = rows.Length > 0 ? $"baseline: {{{rows[0]}: VALUE}}" : "baseline: {teacher: none}";
        if (node is not YamlMappingNode mapping || mapping.Children.Count == 0)
        {
            throw new ConfigException(file, Line(node), Field, "must be a mapping of row axis to value", $"write e.g. {example}");
        }
        var baseline = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            string axis = ((YamlScalarNode)key).Value ?? "";
            if (!rows.Contains(axis))
            {
                string rowList = rows.Length > 0 ? string.Join(", ", rows) : "none: add the axis to report.rows first";
                throw new ConfigException(file, Line(key), $"{Field}.{axis}", $"'{axis}' is not a row axis of the report (the baseline is a row, compared with the other rows in each column)",
                    $"name row axes only (rows: {rowList})");
            }
            if (value is not YamlScalarNode scalar)
            {
                throw new ConfigException(file, Line(value), $"{Field}.{axis}", "must be a single value", $"write e.g. {axis}: {cells[0].Labels.GetValueOrDefault(axis, "VALUE")}");
            }
            baseline[axis] = scalar.Value ?? "";
        }

        // Each cell's row is its values of the row axes; the baseline must pick out exactly one.
        string RowOf(SweepCell cell) => string.Join(" / ", rows.Select(axis => cell.Labels.GetValueOrDefault(axis, "—")));
        var matching = cells.Where(cell => baseline.All(b => cell.Labels.GetValueOrDefault(b.Key) == b.Value)).Select(RowOf).Distinct().ToList();
        string named = "{" + string.Join(", ", baseline.Select(b => $"{b.Key}: {b.Value}")) + "}";
        if (matching.Count == 0)
        {
            string values = string.Join("; ", baseline.Keys.Select(axis =>
                $"{axis}: {string.Join(", ", cells.Select(c => c.Labels.GetValueOrDefault(axis)).OfType<string>().Distinct())}"));
            throw new ConfigException(file, Line(node), Field, $"{named} matches no row of the table", $"use values the cells have ({values})");
        }
        if (matching.Count > 1)
        {
            var unnamed = rows.Where(axis => !baseline.ContainsKey(axis)).ToList();
            throw new ConfigException(file, Line(node), Field, $"{named} matches {matching.Count} rows ({string.Join("; ", matching)})",
                $"add a value for {string.Join(" or ", unnamed.Select(a => $"'{a}'"))} so that it names one row");
        }
        return baseline;
    }

    private sealed class ReportSection
    {
        public string[] Rows { get; set; } = [];
        public string[] Columns { get; set; } = [];
        public string Metric { get; set; } = "value";
        public bool HigherIsBetter { get; set; } = true;
    }

    private static string? Scalar(YamlMappingNode root, string key, string? file) =>
        root.Children.TryGetValue(new YamlScalarNode(key), out var node)
            ? (node as YamlScalarNode)?.Value ?? throw new ConfigException(file, Line(node), key, "must be a single value", $"write '{key}: value'")
            : null;

    private static ConfigException Missing(string? file, string field, string fix) => new(file, 1, field, "is required", fix);

    private static int? SeedsLine(YamlMappingNode root) => root.Children.TryGetValue(new YamlScalarNode("seeds"), out var node) ? Line(node) : null;

    private static int Line(YamlNode node) => (int)node.Start.Line;
}

/// <summary>Content keys: a run is identified by what determines its result, never by when or where it ran.</summary>
public static class ContentKeys
{
    /// <summary>SHA-256 (first 128 bits) of the canonical resolved config (seed and data options included), the code
    /// version and the dataset identity.</summary>
    public static string Run(RunConfig config, string codeVersion, string datasetIdentity) =>
        Hash($"run\n{RunConfigLoader.ToCanonicalJson(config)}\ncode={codeVersion}\ndata={datasetIdentity}");

    /// <summary>The key of the config without its seed: seeds are replicates of one cell.</summary>
    public static string Cell(RunConfig config)
    {
        // A manifest's cells usually have seed 0 already (seeds are set per run): no copy needed then.
        var withoutSeed = config.Seed == 0 ? config : RunConfigLoader.Clone(config);
        withoutSeed.Seed = 0;
        // The same bytes as Hash($"cell\n{ToCanonicalJson(...)}"), without building the strings.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("cell\n"u8);
        hash.AppendData(RunConfigLoader.ToCanonicalJsonUtf8(withoutSeed));
        hash.AppendData("\n"u8);
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
}
