using SemiSeg.Security;

namespace SemiSeg.Contracts;

/// <summary>What a submitted <see cref="SweepSpec"/> must satisfy before any of it reaches a path or a grain: checked
/// by the client before sending and by the sweep grain on receipt (a spec may come from any client of the gateway).</summary>
public static class SpecRules
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first problem and the fix.</summary>
    public static SweepSpec Validate(SweepSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        SafeNames.CheckSweepId(spec.SweepId);
        string where = $"sweep '{spec.SweepId}'";
        if (spec.Runs is null || spec.Runs.Length == 0)
        {
            throw new ArgumentException($"{where} has no runs. Fix: submit a manifest with at least one cell and one seed");
        }
        if (spec.Report?.Rows is null || spec.Report.Columns is null || string.IsNullOrEmpty(spec.Report.Metric))
        {
            throw new ArgumentException($"{where} has no report layout (rows, columns, metric). Fix: submit the spec the client builds from the manifest");
        }
        if (spec.ManifestText is null || spec.ManifestFile is null || spec.ManifestSha256 is null)
        {
            throw new ArgumentException($"{where} lacks its manifest (file, text or hash). Fix: submit the spec the client builds from the manifest");
        }
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var run in spec.Runs)
        {
            if (run is null)
            {
                throw new ArgumentException($"{where} has an empty run entry. Fix: submit the spec the client builds from the manifest");
            }
            SafeNames.CheckRunKey(run.RunKey);
            SafeNames.CheckCellKey(run.CellKey);
            if (!keys.Add(run.RunKey))
            {
                throw new ArgumentException($"{where} lists run {run.RunKey} twice. Fix: list each run once");
            }
            if (run.Labels is null || run.ConfigJson is null)
            {
                throw new ArgumentException($"{where}: run {run.RunKey} lacks its labels or config. Fix: submit the spec the client builds from the manifest");
            }
        }
        return spec;
    }
}
