using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Algorithms;

/// <summary>
/// Keeps BN running statistics unchanged across a forward pass that still normalises with batch statistics (the
/// perturbed student pass: the paper's "clean data statistics"). Like vidlu's norm_stats_tracking_off it sets the
/// momentum to 0 for the pass; restoring the buffers afterwards instead would break autograd, which saved them.
/// </summary>
public sealed class FrozenBatchNormStatistics : IDisposable
{
    private readonly List<(NormBase Norm, double? Momentum, long BatchesTracked)> _norms = [];

    public FrozenBatchNormStatistics(nn.Module module)
    {
        foreach (var norm in module.modules().OfType<NormBase>().Where(n => n.track_running_stats))
        {
            _norms.Add((norm, norm.momentum, norm.num_batches_tracked?.item<long>() ?? 0));
            norm.momentum = 0.0;
        }
    }

    public void Dispose()
    {
        using (no_grad())
        {
            foreach (var (norm, momentum, batchesTracked) in _norms)
            {
                norm.momentum = momentum;
                norm.num_batches_tracked?.fill_(batchesTracked);
            }
        }
        _norms.Clear();
    }
}
