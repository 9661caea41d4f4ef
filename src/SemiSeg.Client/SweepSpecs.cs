using System.Security.Cryptography;
using System.Text;
using SemiSeg.Contracts;
using SemiSeg.Sweeps;
using SemiSeg.Training.Config;
using SemiSeg.Training.Data;
using SemiSeg.Training.Running;

namespace SemiSeg.Client;

/// <summary>Turns a manifest into what the cluster runs: every run's content key and canonical config, so the
/// cluster needs neither the manifest's files nor its folder.</summary>
public static class SweepSpecs
{
    public static SweepSpec FromManifest(string manifestPath)
    {
        var manifest = SweepManifest.Load(manifestPath);
        return From(manifest, File.ReadAllText(manifestPath), manifestPath);
    }

    public static SweepSpec From(SweepManifest manifest, string manifestText, string manifestFile)
    {
        // The data a run sees is part of its key; computing it once per distinct data config keeps this quick.
        var identities = new Dictionary<string, string>();
        string Identity(DataConfig data)
        {
            string json = RunConfigLoader.ToCanonicalJson(new RunConfig { Data = data });
            if (!identities.TryGetValue(json, out string? identity))
            {
                identity = DatasetFactory.Create(data, Split.Train).Info.Identity;
                identities[json] = identity;
            }
            return identity;
        }
        var labels = manifest.Cells.ToDictionary(c => c.Key, c => new Dictionary<string, string>(c.Labels));
        var runs = manifest.Runs(TrainerVersion.Current, Identity)
            .Select(r => new RunSpec(r.Key, r.CellKey, r.Seed, labels[r.CellKey], RunConfigLoader.ToCanonicalJson(r.Config)))
            .ToArray();
        string sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifestText)));
        return new SweepSpec(manifest.Id, manifestFile, manifestText, sha,
            new ReportSpec([.. manifest.Report.Rows], [.. manifest.Report.Columns], manifest.Report.Metric), runs);
    }
}
