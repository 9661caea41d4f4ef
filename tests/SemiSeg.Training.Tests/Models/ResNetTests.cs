using SemiSeg.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static SemiSeg.Training.Tests.Models.ModelTestHelpers;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Models;

public class ResNetTests
{
    [Fact]
    public void ResNet18_HasTorchvisionParameterCountWithoutFc()
    {
        using var resnet = ResNet.ResNet18();
        // torchvision resnet18: 11,689,512 parameters, of which fc has 512 * 1000 + 1000 = 513,000.
        Assert.Equal(11_176_512, CountParameters(resnet));
    }

    [Fact]
    public void ResNet101_HasTorchvisionParameterCountWithoutFc()
    {
        using var resnet = ResNet.ResNet101();
        // torchvision resnet101: 44,549,160 parameters, of which fc has 2048 * 1000 + 1000 = 2,049,000.
        Assert.Equal(42_500_160, CountParameters(resnet));
    }

    [Fact]
    public void ResNet18_StageOutputsHaveStrides4To32()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        using var resnet = ResNet.ResNet18();
        resnet.eval();
        var stages = resnet.call(rand(1, 3, 64, 96));
        AssertShape(stages.Layer1, 1, 64, 16, 24);
        AssertShape(stages.Layer2, 1, 128, 8, 12);
        AssertShape(stages.Layer3, 1, 256, 4, 6);
        AssertShape(stages.Layer4, 1, 512, 2, 3);
        Assert.Equal([64L, 128, 256, 512], resnet.StageChannels);
    }

    [Fact]
    public void ResNet101_WithOutputStride8_KeepsStride8AndDilates()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        using var resnet = ResNet.ResNet101(outputStride8: true, batchNormMomentum: 0.01);
        resnet.eval();
        var stages = resnet.call(rand(1, 3, 32, 40));
        AssertShape(stages.Layer1, 1, 256, 8, 10);
        AssertShape(stages.Layer2, 1, 512, 4, 5);
        AssertShape(stages.Layer3, 1, 1024, 4, 5);
        AssertShape(stages.Layer4, 1, 2048, 4, 5);

        var dilatedConv = (Conv2d)resnet.named_modules().Single(m => m.name == "layer4.2.conv2").module;
        Assert.Equal([4L, 4], dilatedConv.dilation);
        var layer3Conv = (Conv2d)resnet.named_modules().Single(m => m.name == "layer3.0.conv2").module;
        Assert.Equal([2L, 2], layer3Conv.dilation);
        Assert.Equal([1L, 1], layer3Conv.stride);
        Assert.All(resnet.modules().OfType<BatchNorm2d>(), bn => Assert.Equal(0.01, bn.momentum));
    }

    [Fact]
    public void ResNet18_StateDictUsesTorchvisionNames()
    {
        using var resnet = ResNet.ResNet18();
        var keys = resnet.state_dict().Keys.ToHashSet();
        Assert.Contains("conv1.weight", keys);
        Assert.Contains("bn1.running_mean", keys);
        Assert.Contains("layer1.0.conv1.weight", keys);
        Assert.Contains("layer1.1.bn2.bias", keys);
        Assert.Contains("layer2.0.downsample.0.weight", keys);
        Assert.Contains("layer2.0.downsample.1.running_var", keys);
        Assert.Contains("layer4.1.conv2.weight", keys);
        Assert.DoesNotContain("layer1.0.downsample.0.weight", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("fc.", StringComparison.Ordinal));
    }
}
