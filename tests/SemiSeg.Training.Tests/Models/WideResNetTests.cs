using SemiSeg.Training.Models;
using TorchSharp;
using static SemiSeg.Training.Tests.Models.ModelTestHelpers;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Models;

public class WideResNetTests
{
    [Fact]
    public void Forward_Cifar_GivesClassLogits()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(6);
        using var model = new WideResNet(10);
        var logits = model.call(rand(2, 3, 32, 32));
        AssertShape(logits, 2, 10);
        logits.sum().backward();
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void Wrn28x2_HasTheReferenceParameterCount()
    {
        using var model = new WideResNet(10, depth: 28, widthFactor: 2);
        // Reference WRN-28-2 (Zagoruyko & Komodakis; Oliver et al. 2018) on CIFAR-10: 1,467,610. By hand:
        //   stem 3x3 3->16: 432
        //   group 1 (32): first block BN(16) + 3x3 16->32 + BN(32) + 3x3 32->32 + 1x1 16->32 = 32 + 4,608 + 64 + 9,216 + 512
        //                 = 14,432; three more blocks of 64 + 9,216 + 64 + 9,216 = 18,560 each -> 70,112
        //   group 2 (64): 64 + 18,432 + 128 + 36,864 + 2,048 = 57,536; 3 x 73,984 -> 279,488
        //   group 3 (128): 128 + 73,728 + 256 + 147,456 + 8,192 = 229,760; 3 x 295,424 -> 1,116,032
        //   final BN(128): 256; linear 128->10: 1,290
        Assert.Equal(1_467_610, CountParameters(model));
        Assert.Equal(1_290, CountParameters(model.DecoderParameters()));
        AssertEncoderDecoderPartition(model);
    }

    [Fact]
    public void Wrn_HasNoInputStandardization()
    {
        using var model = new WideResNet(10);
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("mean", StringComparison.Ordinal) && !k.Contains("running", StringComparison.Ordinal));
        Assert.Contains("features.group1.0.shortcut.weight", model.state_dict().Keys);
        Assert.DoesNotContain("features.group1.1.shortcut.weight", model.state_dict().Keys);
    }
}
