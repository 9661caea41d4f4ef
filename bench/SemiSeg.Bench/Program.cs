using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SemiSeg.Training.Algorithms;
using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Models;
using SemiSeg.Training.Perturbations;
using SemiSeg.Training.Running;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Bench;

/// <summary>Benchmarks of the training engine. Each reports a ratio against a reference measured in the same run.</summary>
public static class Program
{
    private static readonly DatasetInfo Cityscapes19 = new("synthetic", "synthetic", Enumerable.Range(0, 19).Select(i => $"c{i}").ToArray(), true);

    public static int Main(string[] args)
    {
        var height = new Option<int>("--height") { DefaultValueFactory = _ => 256 };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 512 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 2 };
        var iterations = new Option<int>("--iterations") { DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 0 };
        var variant = new Option<string>("--variant") { DefaultValueFactory = _ => VariantNames.OneWayPerturbStudent };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 500 };
        var config = new Option<string>("--config") { DefaultValueFactory = _ => "sweeps/examples/tiny-fashionscenes-mt-phtps.yaml" };

        var speed = new Command("speed", "Training and evaluation throughput: SwiftNet-RN18 vs DeepLabv2-RN101 on the same input") { height, width, batch, iterations, threads };
        speed.SetAction(p => Speed(p.GetValue(height), p.GetValue(width), p.GetValue(batch), p.GetValue(iterations), p.GetValue(threads)));

        var stepMemory = new Command("step-memory", "Peak memory of one consistency step, 1w-ps vs 2w-p1, each in a fresh process") { height, width, batch, threads };
        stepMemory.SetAction(p => StepMemory(p.GetValue(height), p.GetValue(width), p.GetValue(batch), p.GetValue(threads)));

        var stepMemoryChild = new Command("step-memory-child") { height, width, batch, threads, variant };
        stepMemoryChild.Hidden = true;
        stepMemoryChild.SetAction(p => StepMemoryChild(p.GetValue(height), p.GetValue(width), p.GetValue(batch), p.GetValue(threads), p.GetValue(variant)!));

        var flat = new Command("memory-over-steps", "Resident memory over a long run of the real trainer") { config, steps };
        flat.SetAction(p => MemoryOverSteps(p.GetValue(config)!, p.GetValue(steps)));

        return new RootCommand("SemiSegOrleans engine benchmarks (results: bench/README.md)") { speed, stepMemory, stepMemoryChild, flat }.Parse(args).Invoke();
    }

    private static int Speed(int height, int width, int batch, int iterations, int threads)
    {
        if (threads > 0)
        {
            set_num_threads(threads);
        }
        Console.WriteLine($"input {batch}x3x{height}x{width}, {iterations} timed iterations after 1 warm-up, {get_num_threads()} threads");
        var results = new Dictionary<string, (double Train, double Eval)>();
        foreach (string architecture in new[] { ModelNames.SwiftNetRn18, ModelNames.DeepLabV2Rn101 })
        {
            manual_seed(0);
            using var model = ModelFactory.Create(new ModelConfig { Architecture = architecture }, Cityscapes19);
            using var optimizer = optim.Adam(model.parameters(), 1e-4);
            using var x = rand(batch, 3, height, width);
            using var y = randint(0, 19, [batch, height, width]);
            double train = ImagesPerSecond(iterations, batch, () =>
            {
                using var scope = NewDisposeScope();
                model.train();
                optimizer.zero_grad();
                ConsistencyLosses.CrossEntropy(model.call(x), y).backward();
                optimizer.step();
            });
            double eval = ImagesPerSecond(iterations, batch, () =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                model.eval();
                model.call(x).argmax(1);
            });
            results[architecture] = (train, eval);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{architecture,-16} train {train,8:F2} img/s   eval {eval,8:F2} img/s"));
        }
        var sn = results[ModelNames.SwiftNetRn18];
        var dl = results[ModelNames.DeepLabV2Rn101];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SN/DL speed ratio: training {sn.Train / dl.Train:F2}x, evaluation {sn.Eval / dl.Eval:F2}x (paper: ~5x and ~12x on a GPU)"));
        return 0;
    }

    private static double ImagesPerSecond(int iterations, int batch, Action step)
    {
        step(); // warm-up: allocator and kernel selection
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            step();
        }
        return iterations * batch / clock.Elapsed.TotalSeconds;
    }

    private static int StepMemory(int height, int width, int batch, int threads)
    {
        string self = Environment.ProcessPath!;
        var peaks = new Dictionary<string, double>();
        foreach (string v in new[] { VariantNames.OneWayPerturbStudent, VariantNames.TwoWayPerturbOne })
        {
            var start = new ProcessStartInfo(self)
            {
                ArgumentList = { "step-memory-child", "--height", $"{height}", "--width", $"{width}", "--batch", $"{batch}", "--threads", $"{threads}", "--variant", v },
                RedirectStandardOutput = true,
            };
            using var child = Process.Start(start)!;
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            Console.Write(output);
            peaks[v] = double.Parse(output.Split("peak_above_baseline_mib=")[1].Split(' ', '\n')[0], CultureInfo.InvariantCulture);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"peak memory of a step, 1w-ps / 2w-p1: {peaks[VariantNames.OneWayPerturbStudent] / peaks[VariantNames.TwoWayPerturbOne]:F2}x (paper, GPU: 0.58x, SN-RN34 at 768x768)"));
        return 0;
    }

    /// <summary>One simple-PhTPS consistency step of SwiftNet-RN18; prints the peak resident memory above the level
    /// before the step (after two warm-up steps, so weights, optimizer state and allocator pools exist).</summary>
    private static int StepMemoryChild(int height, int width, int batch, int threads, string variant)
    {
        if (threads > 0)
        {
            set_num_threads(threads);
        }
        manual_seed(0);
        var algorithm = new AlgorithmConfig { Teacher = TeacherNames.Simple, Perturbation = PerturbationNames.PhTps, Variant = variant, Alpha = 0.5 };
        using var model = ModelFactory.Create(new ModelConfig(), Cityscapes19);
        using var optimizer = optim.Adam(model.parameters(), 1e-4);
        var step = new SemiSupervisedStep(algorithm, true, 19, model, null, PerturbationFactory.Create(algorithm), optimizer);
        using var xl = rand(batch, 3, height, width);
        using var yl = randint(0, 19, [batch, height, width]);
        using var xu = rand(batch, 3, height, width);
        void Step(int i)
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator((ulong)i);
            step.Run(xl, yl, xu, generator);
        }
        Step(0);
        Step(1);
        GC.Collect();
        ProcessMemory.ResetPeak();
        double baseline = ProcessMemory.ResidentMiB();
        Step(2);
        double peak = ProcessMemory.PeakMiB();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{variant}: baseline_mib={baseline:F0} peak_mib={peak:F0} peak_above_baseline_mib={peak - baseline:F0} "));
        return 0;
    }

    private static int MemoryOverSteps(string configPath, int steps)
    {
        var config = RunConfigLoader.Load(configPath);
        config.Schedule.Steps = steps;
        config.Schedule.LogEvery = 25;
        config.Schedule.CheckpointEvery = 0;
        config.Data.MaxValExamples = 50;
        string output = Directory.CreateTempSubdirectory("semiseg-bench-").FullName;
        var samples = new List<(int Step, double Rss)>();
        var observer = new RssObserver(samples);
        Trainer.Run(new RunRequest { Config = config, OutputDirectory = output, Observer = observer });
        Directory.Delete(output, recursive: true);
        foreach (var (step, rss) in samples)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step,5}: resident {rss,8:F0} MiB"));
        }
        var afterWarmUp = samples.Where(s => s.Step >= steps / 5).ToList();
        double first = afterWarmUp.First().Rss, last = afterWarmUp.Last().Rss, max = afterWarmUp.Max(s => s.Rss);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"after warm-up (step {afterWarmUp.First().Step}..{afterWarmUp.Last().Step}): {first:F0} -> {last:F0} MiB (max {max:F0}), growth {100 * (last - first) / first:F1}% (last/first {last / first:F3}x)"));
        return 0;
    }

    private sealed class RssObserver(List<(int Step, double Rss)> samples) : IRunObserver
    {
        public void OnStep(StepProgress progress) => samples.Add((progress.Step, ProcessMemory.ResidentMiB()));
    }
}
