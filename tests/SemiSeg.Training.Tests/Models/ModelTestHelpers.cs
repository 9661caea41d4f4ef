using SemiSeg.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Models;

internal static class ModelTestHelpers
{
    public static long CountParameters(IEnumerable<Parameter> parameters) => parameters.Sum(p => p.numel());

    public static long CountParameters(nn.Module module) => CountParameters(module.parameters());

    /// <summary>Encoder and decoder parameters are disjoint and together are every parameter exactly once.</summary>
    public static void AssertEncoderDecoderPartition(Network network)
    {
        var all = network.parameters().Select(p => p.Handle).ToList();
        var encoder = network.EncoderParameters().Select(p => p.Handle).ToList();
        var decoder = network.DecoderParameters().Select(p => p.Handle).ToList();

        Assert.NotEmpty(encoder);
        Assert.NotEmpty(decoder);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Empty(encoder.Intersect(decoder));
        Assert.Equal(all.Count, encoder.Count + decoder.Count);
        Assert.True(all.ToHashSet().SetEquals(encoder.Concat(decoder)));
        // The encoder parameters are exactly those of the module that pretrained weights fill.
        Assert.True(network.EncoderModule.parameters().Select(p => p.Handle).ToHashSet().SetEquals(encoder));
    }

    public static void AssertShape(Tensor tensor, params long[] expected) => Assert.Equal(expected, tensor.shape);
}
