using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using SemiSeg.Cli.Commands;
using SemiSeg.Sweeps;
using SemiSeg.Training.Config;
using SemiSeg.Training.Running;
using SemiSeg.Training.Tests.Cli;
using SemiSeg.Training.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Fuzz;

/// <summary>
/// Valid run configs, manifests, checkpoints and results folders, damaged by FsCheck-generated mutations (byte flips,
/// truncation, tokens inserted or deleted, numbers replaced by extremes, deep nesting, lines duplicated or swapped).
/// The loaders may only throw the project's own user-error type for that input, and the CLI, run in process on the
/// same files, exits 0 or 2 with output that never names a .NET exception type. Seeded (replayable) and bounded:
/// about 30 s on 2 cores. A failure prints the shrunk mutation list that reproduces it.
/// </summary>
[Collection(CliRunner.Name)]
public sealed class HostileInputFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly string scratch = Directory.CreateTempSubdirectory("semiseg-fuzz-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    private static string Repository => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    /// <summary>A fixed seed per property: the same cases every run, and a failure reproduces. For a longer search,
    /// SEMISEG_FUZZ_SCALE multiplies the case counts and SEMISEG_FUZZ_SEED shifts every seed.</summary>
    private static FsCheck.Config Cases(int count, ulong seed)
    {
        int scale = int.TryParse(Environment.GetEnvironmentVariable("SEMISEG_FUZZ_SCALE"), out int s) && s > 0 ? s : 1;
        ulong shift = ulong.TryParse(Environment.GetEnvironmentVariable("SEMISEG_FUZZ_SEED"), out ulong t) ? t : 0;
        return FsCheck.Config.QuickThrowOnFailure.WithMaxTest(count * scale)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed + shift, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None)));
    }

    private void Time(string what, Action check)
    {
        var clock = Stopwatch.StartNew();
        check();
        output.WriteLine($"{what}: {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static byte[][] RunConfigs() =>
    [
        .. Directory.GetFiles(Path.Combine(Repository, "sweeps", "examples"), "*.yaml").Order(StringComparer.Ordinal).Select(File.ReadAllBytes),
        System.Text.Encoding.UTF8.GetBytes(RunConfigLoader.ToCanonicalJson(TinyRuns.Config())),
    ];

    /// <summary>Shipped manifests, from a copy of sweeps/ in <paramref name="scratch"/> (a relative 'base:' resolves
    /// there, and damaged copies never land in the repository).</summary>
    private static (byte[] Text, string Folder)[] Manifests(string scratch)
    {
        string sweeps = Path.Combine(Repository, "sweeps");
        foreach (string file in Directory.GetFiles(sweeps, "*.yaml", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(scratch, "sweeps", Path.GetRelativePath(sweeps, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        return
        [
            .. new[] { "quickstart.yaml", "cpu/label-proportions.yaml", "cpu/consistency-variants.yaml", "cpu/strength-grid.yaml" }
                .Select(name => Path.Combine(scratch, "sweeps", name))
                .Select(path => (File.ReadAllBytes(path), Path.GetDirectoryName(path)!)),
        ];
    }

    /// <summary>Only <typeparamref name="TAllowed"/> may escape <paramref name="load"/>.</summary>
    private static void OnlyThrows<TAllowed>(Action load, Mutation[] mutations) where TAllowed : Exception
    {
        try
        {
            load();
        }
        catch (TAllowed)
        {
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name} escaped for [{string.Join(", ", mutations.AsEnumerable())}]: {e.Message}\n{e}");
        }
    }

    /// <summary>Exit 0 or 2; on 2 a single "error:" line; never an exception type's name.</summary>
    private static void CliIsClean(string[] args, Mutation[] mutations)
    {
        var (exit, stdout, stderr) = CliRunner.Run(args);
        string all = stdout + stderr;
        string context = $"semiseg {string.Join(' ', args)} for [{string.Join(", ", mutations.AsEnumerable())}] exited {exit}:\n{all}";
        Assert.True(exit is 0 or 2, context);
        Assert.False(CliRunner.ExceptionTypeName().IsMatch(all), context);
        if (exit == 2)
        {
            Assert.True(stderr.StartsWith("error: ", StringComparison.Ordinal) && stderr.TrimEnd('\n').Split('\n').Count(l => l.StartsWith("error: ", StringComparison.Ordinal)) == 1, context);
        }
    }

    [Fact]
    public void DamagedRunConfigsGiveConfigErrorsOnly()
    {
        var corpus = RunConfigs();
        var cases = Arb.Zip(Arb.From(Gen.Choose(0, corpus.Length - 1)), Mutations.Arbitrary());
        Time("run configs, loader", () => Check.One(Cases(600, 1401), Prop.ForAll(cases, c =>
        {
            byte[] damaged = Mutations.Apply(corpus[c.Item1], c.Item2);
            OnlyThrows<ConfigException>(() => RunConfigLoader.Parse(ConfigFiles.Decode(damaged, "fuzzed.yaml"), "fuzzed.yaml"), c.Item2);
        })));

        // The CLI on the same kind of files: '--device cuda:999' stops a config that survives before any training.
        string file = Path.Combine(scratch, "config.yaml");
        Time("run configs, train", () => Check.One(Cases(40, 1402), Prop.ForAll(cases, c =>
        {
            File.WriteAllBytes(file, Mutations.Apply(corpus[c.Item1], c.Item2));
            CliIsClean(["train", "--config", file, "--out", Path.Combine(scratch, "train-out"), "--device", "cuda:999"], c.Item2);
        })));
    }

    [Fact]
    public void DamagedManifestsGiveConfigErrorsOnly()
    {
        var corpus = Manifests(scratch);
        var cases = Arb.Zip(Arb.From(Gen.Choose(0, corpus.Length - 1)), Mutations.Arbitrary());
        Time("manifests, loader", () => Check.One(Cases(400, 1403), Prop.ForAll(cases, c =>
        {
            var (text, folder) = corpus[c.Item1];
            byte[] damaged = Mutations.Apply(text, c.Item2);
            OnlyThrows<ConfigException>(() => SweepManifest.Parse(ConfigFiles.Decode(damaged, "fuzzed.yaml"), "fuzzed.yaml", folder), c.Item2);
        })));

        Time("manifests, validate", () => Check.One(Cases(40, 1404), Prop.ForAll(cases, c =>
        {
            var (text, folder) = corpus[c.Item1];
            string file = Path.Combine(folder, "fuzzed.yaml"); // next to the original, so a relative 'base:' resolves
            File.WriteAllBytes(file, Mutations.Apply(text, c.Item2));
            CliIsClean(["validate", file], c.Item2);
        })));
    }

    [Fact]
    public void DamagedCheckpointsGiveCheckpointErrorsOnly()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var student = new TinyNetwork();
        var teacher = new TinyNetwork();
        var optimizer = optim.Adam(student.parameters(), 0.01);
        string valid = Path.Combine(scratch, "valid.ckpt");
        Checkpoint.Write(valid, new CheckpointHeader(Checkpoint.FormatVersion, 3, 7, "abc", true, "counter", DateTimeOffset.UnixEpoch), student, teacher, optimizer);
        byte[] original = File.ReadAllBytes(valid);
        string damaged = Path.Combine(scratch, "damaged.ckpt");

        // Most cases re-hash the damaged file: the integrity check would stop them all, and the parsing behind it
        // (header length, header JSON, section lengths, tensor state) must hold as well.
        var cases = Arb.Zip(Mutations.Arbitrary(), Arb.From(Gen.Choose(0, 9)));
        Time("checkpoints", () => Check.One(Cases(200, 1405), Prop.ForAll(cases, c =>
        {
            byte[] bytes = Mutations.Apply(original, c.Item1);
            File.WriteAllBytes(damaged, c.Item2 < 8 ? Mutations.Rehash(bytes) : bytes);
            OnlyThrows<CheckpointException>(() => Checkpoint.ReadHeader(damaged), c.Item1);
            using var inner = NewDisposeScope();
            var (s, t) = (new TinyNetwork(), new TinyNetwork());
            OnlyThrows<CheckpointException>(() => Checkpoint.Load(damaged, "abc", s, t, optim.Adam(s.parameters(), 0.01)), c.Item1);
        })));
    }

    [Fact]
    public void DamagedResultsFoldersGiveReportErrorsOnly()
    {
        string template = CliBadInputTests.WriteResultsFolder(Path.Combine(scratch, "template"));
        string[] files = Directory.GetFiles(template, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var cases = Arb.Zip(Arb.From(Gen.Choose(0, 2 * files.Length - 1)), Mutations.Arbitrary());
        int count = 0;

        string Damage(int pick, Mutation[] mutations)
        {
            string root = Path.Combine(scratch, $"results-{count++}");
            foreach (string file in files)
            {
                string copy = Path.Combine(root, Path.GetRelativePath(template, file));
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Copy(file, copy);
            }
            string target = Path.Combine(root, Path.GetRelativePath(template, files[pick % files.Length]));
            if (pick >= files.Length && !target.EndsWith("spec.json", StringComparison.Ordinal))
            {
                File.Delete(target); // a missing file is damage too
            }
            else
            {
                File.WriteAllBytes(target, Mutations.Apply(File.ReadAllBytes(target), mutations));
            }
            return root;
        }

        Time("results folders, loader", () => Check.One(Cases(40, 1406), Prop.ForAll(cases, c =>
        {
            string root = Damage(c.Item1, c.Item2);
            OnlyThrows<ReportInputException>(() => ReportCommand.FromFolder(root, null, Path.Combine(root, "out"), new ReportOptions { PanelExamples = 0 }).GetAwaiter().GetResult(), c.Item2);
            Directory.Delete(root, recursive: true);
        })));

        Time("results folders, report", () => Check.One(Cases(15, 1407), Prop.ForAll(cases, c =>
        {
            string root = Damage(c.Item1, c.Item2);
            CliIsClean(["report", root, "--panels", "0"], c.Item2);
            Directory.Delete(root, recursive: true);
        })));
    }
}
