using System.Globalization;
using SemiSeg.Client;
using SemiSeg.Contracts;
using Spectre.Console;

namespace SemiSeg.Cli.Commands;

/// <summary>Follows a sweep until it finishes: live bars on a terminal (the sweep, and each running run), a line per
/// change otherwise.</summary>
public static class SweepProgress
{
    public static async Task<SweepStatus> FollowAsync(SemiSegClient client, SweepSpec? spec, string sweepId, CancellationToken cancellation)
    {
        var names = spec?.Runs.ToDictionary(r => r.RunKey, r => $"{string.Join(" ", r.Labels.Values)} s{r.Seed}") ?? [];
        string Name(string key) => names.TryGetValue(key, out var n) ? n : key[..Math.Min(12, key.Length)];
        SweepStatus? last = null;
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            string previous = "";
            await foreach (var status in client.WatchAsync(sweepId, TimeSpan.FromSeconds(2), cancellation))
            {
                last = status;
                string line = Line(status) + string.Concat(status.Active.Select(a => $" | {Name(a.RunKey)} {a.Progress?.Step ?? 0}/{a.Progress?.TotalSteps ?? 0}"));
                string key = $"{status.Counts}";
                if (key != previous)
                {
                    Console.WriteLine(line);
                    previous = key;
                }
            }
            return last!;
        }
        await AnsiConsole.Progress().AutoClear(false).HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var overall = context.AddTask(Markup.Escape(sweepId));
                var bars = new Dictionary<string, ProgressTask>();
                await foreach (var status in client.WatchAsync(sweepId, TimeSpan.FromSeconds(1), cancellation))
                {
                    last = status;
                    overall.MaxValue = Math.Max(1, status.Counts.Total);
                    overall.Value = status.Counts.Finished;
                    overall.Description = Markup.Escape(Line(status));
                    foreach (var run in status.Active)
                    {
                        if (!bars.TryGetValue(run.RunKey, out var bar))
                        {
                            bar = bars[run.RunKey] = context.AddTask(Markup.Escape(Name(run.RunKey)), maxValue: 1);
                        }
                        if (run.Progress is { } p)
                        {
                            bar.MaxValue = Math.Max(1, p.TotalSteps);
                            bar.Value = p.Step;
                            bar.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                                $"  {Name(run.RunKey)} attempt {run.Attempt} on {run.Worker}: step {p.Step}/{p.TotalSteps} loss {p.Loss:F3}"));
                        }
                    }
                    foreach (var (key, bar) in bars.Where(b => status.Active.All(a => a.RunKey != b.Key)).ToList())
                    {
                        bar.Value = bar.MaxValue;
                        bar.StopTask();
                        bars.Remove(key);
                    }
                }
                overall.StopTask();
            });
        return last!;
    }

    public static string Line(SweepStatus s) =>
        $"{s.SweepId}: {s.Counts.Succeeded}/{s.Counts.Total} done, {s.Counts.Running} running, {s.Counts.Pending} pending, {s.Counts.Failed} failed, {s.Counts.Cancelled} cancelled"
        + (s.ReusedResults > 0 ? $" ({s.ReusedResults} reused)" : "");
}
