using SemiSeg.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static SemiSeg.Training.Tests.Models.ModelTestHelpers;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Models;

public class DeepLabV2Tests
{
    [Fact]
    public void DeepLab_ShapesCountsPartitionAndSettings()
    {
        // One model for all checks: a ResNet-101 is the slowest thing to build in this test class.
        using var scope = NewDisposeScope();
        torch.manual_seed(5);
        using var model = new DeepLabV2(19);

        // Output: logits at input size (non-square, not a multiple of 8).
        model.eval();
        using (no_grad())
            AssertShape(model.call(rand(1, 3, 36, 52)), 1, 19, 36, 52);

        // Parameters: the ResNet-101 encoder plus four 3x3 convs 2048 -> 19 with bias.
        const long expectedAspp = 4 * (2048 * 19 * 9 + 19); // 1,400,908
        Assert.Equal(42_500_160, CountParameters(model.EncoderParameters()));
        Assert.Equal(expectedAspp, CountParameters(model.DecoderParameters()));
        Assert.Equal(43_901_068, CountParameters(model));
        AssertEncoderDecoderPartition(model);

        // ASPP dilations and the encoder's BN momentum.
        var asppConvs = model.named_modules().Where(m => m.name.StartsWith("aspp.convs.", StringComparison.Ordinal))
            .Select(m => (Conv2d)m.module).ToList();
        Assert.Equal([6L, 12, 18, 24], asppConvs.Select(c => c.dilation[0]));
        Assert.Equal([6L, 12, 18, 24], asppConvs.Select(c => c.padding![0]));
        Assert.All(model.EncoderModule.modules().OfType<BatchNorm2d>(), bn => Assert.Equal(0.01, bn.momentum));
        Assert.NotNull(model.Standardization);
    }
}
