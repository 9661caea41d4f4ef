using SemiSeg.Client;
using SemiSeg.Contracts;
using SemiSeg.Sweeps;

namespace SemiSeg.Orchestration.Tests.Support;

/// <summary>Real sweeps of the real trainer, small enough for tests: 32x32 FashionScenes, a few steps each.</summary>
public static class TinySweeps
{
    /// <param name="evalEvery">schedule.eval_every; 0 evaluates only at the last step.</param>
    public static SweepSpec Spec(string id, int steps, int checkpointEvery, int seeds, string fractions = "[1/4]", int evalEvery = 0)
    {
        string manifest = Manifest(id, steps, checkpointEvery, seeds, fractions, evalEvery);
        return SweepSpecs.From(SweepManifest.Parse(manifest, $"{id}.yaml", Path.GetTempPath()), manifest, $"{id}.yaml");
    }

    /// <summary>The manifest text behind <see cref="Spec"/>.</summary>
    public static string Manifest(string id, int steps, int checkpointEvery, int seeds, string fractions = "[1/4]", int evalEvery = 0) =>
        $$"""
            sweep: {{id}}
            base:
              name: {{id}}
              data:
                dataset: fashion-scenes
                label_fraction: 1/4
                crop_size: 32
                max_val_examples: 40
                fashion_scenes: {image_size: 32, train_scenes: 160, val_scenes: 40}
              model: {architecture: swiftnet-rn18}
              algorithm: {teacher: mt, perturbation: phtps, variant: 1w-ps}
              schedule: {steps: {{steps}}, batch_labeled: 4, batch_unlabeled: 4, eval_batch: 20, log_every: 1, checkpoint_every: {{checkpointEvery}}, eval_every: {{evalEvery}}, threads: 1}
            seeds: {{seeds}}
            axes:
              label_fraction: {{fractions}}
            report: {rows: [label_fraction], columns: []}
            """;
}
