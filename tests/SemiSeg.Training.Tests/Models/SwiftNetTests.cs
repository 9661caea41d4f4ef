using SemiSeg.Training.Models;
using TorchSharp;
using static SemiSeg.Training.Tests.Models.ModelTestHelpers;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Models;

public class SwiftNetTests
{
    [Fact]
    public void Forward_SquareInput_GivesLogitsAtInputSize()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        using var model = new SwiftNet(11);
        var logits = model.call(rand(1, 3, 64, 64));
        AssertShape(logits, 1, 11, 64, 64);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void Forward_NonSquareInputInEvalMode_GivesLogitsAtInputSize()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(2);
        using var model = new SwiftNet(11);
        model.eval();
        using var _ = no_grad();
        AssertShape(model.call(rand(1, 3, 64, 128)), 1, 11, 64, 128);
        // Sizes that are not multiples of 32 still come back at input size.
        AssertShape(model.call(rand(1, 3, 50, 70)), 1, 11, 50, 70);
    }

    [Fact]
    public void MovingTheModel_MovesTheStandardizationBuffers()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(5);
        using var model = new SwiftNet(4);
        model.to(ScalarType.Float64).eval();
        Assert.Equal(ScalarType.Float64, model.Standardization.state_dict()["mean"].dtype);
        using var _ = no_grad();
        var logits = model.call(rand(1, 3, 64, 64, dtype: ScalarType.Float64));
        Assert.Equal(ScalarType.Float64, logits.dtype);
    }

    [Fact]
    public void Backward_ReachesEncoderAndDecoder()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        using var model = new SwiftNet(5);
        model.call(rand(2, 3, 64, 64)).square().mean().backward();
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void ParameterCount_MatchesTheLayerList()
    {
        using var model = new SwiftNet(19);
        // Decoder, from the layer list (BN = 2 parameters per channel, convs without bias except the logits):
        //   SPP bottleneck   BN(512) + 1x1 512->128           =  1,024 +  65,536 =  66,560
        //   SPP levels (x3)  BN(128) + 1x1 128->42            = 3 x (256 + 5,376) =  16,896
        //   SPP fuse         BN(254) + 1x1 254->128           =    508 +  32,512 =  33,020
        //   blend 1          BN(256) + 1x1 256->128 (skip)    =    512 +  32,768 =  33,280
        //                    BN(128) + 3x3 128->128           =    256 + 147,456 = 147,712
        //   blend 2          BN(128) + 1x1 128->128 + 147,712 =    256 +  16,384 + 147,712 = 164,352
        //   blend 3          BN(64)  + 1x1 64->128  + 147,712 =    128 +   8,192 + 147,712 = 156,032
        //   final BN(128)                                      =    256
        //   logits 1x1 128->19 with bias                       =  2,432 + 19 = 2,451
        //   total = 66,560 + 16,896 + 33,020 + 33,280 + 147,712 + 164,352 + 156,032 + 256 + 2,451 = 620,559
        const long expectedDecoder = 620_559;
        Assert.Equal(11_176_512, CountParameters(model.EncoderParameters()));
        Assert.Equal(expectedDecoder, CountParameters(model.DecoderParameters()));
        Assert.Equal(11_797_071, CountParameters(model));
    }

    [Fact]
    public void EncoderAndDecoderParameters_PartitionAllParameters()
    {
        using var model = new SwiftNet(19);
        AssertEncoderDecoderPartition(model);
    }

    [Fact]
    public void StateDict_HasStableNames()
    {
        using var model = new SwiftNet(19);
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("backbone.conv1.weight", keys);
        Assert.Contains("backbone.layer1.0.conv1.weight", keys);
        Assert.Contains("backbone.layer3.0.downsample.0.weight", keys);
        Assert.Contains("spp.bottleneck.norm.weight", keys);
        Assert.Contains("spp.levels.2.conv.weight", keys);
        Assert.Contains("spp.fuse.conv.weight", keys);
        Assert.Contains("ladder.0.project.conv.weight", keys);
        Assert.Contains("ladder.2.blend.norm.running_mean", keys);
        Assert.Contains("norm.weight", keys);
        Assert.Contains("logits.weight", keys);
        Assert.Contains("logits.bias", keys);
        Assert.Contains("standardization.mean", keys);
        Assert.Contains("standardization.std", keys);
    }

    [Theory]
    // Stride-32 features of a 1024x512 image are 32 wide and 16 high: grids 8x16, 4x8, 2x4 as in vidlu.
    [InlineData(8, 16, 32, 8, 16)]
    [InlineData(4, 16, 32, 4, 8)]
    [InlineData(2, 16, 32, 2, 4)]
    [InlineData(8, 2, 2, 8, 8)]
    [InlineData(2, 4, 3, 2, 2)] // round(1.5) = 2
    [InlineData(1, 4, 2, 1, 1)] // round(0.5) = 0 (half to even), kept at least 1
    [InlineData(8, 16, 8, 8, 4)]
    public void PoolingGrid_FollowsTheAspectRatio(int grid, long height, long width, long expectedHeight, long expectedWidth)
    {
        Assert.Equal((expectedHeight, expectedWidth), SpatialPyramidPooling.PoolingGrid(grid, height, width));
    }

    [Fact]
    public void Standardization_MapsTheCityscapesMeanToZero()
    {
        using var scope = NewDisposeScope();
        using var model = new SwiftNet(3);
        var mean = tensor(new[] { 73.15f, 82.9f, 72.3f }).div(255).reshape(1, 3, 1, 1).expand(2, 3, 4, 5);
        var standardized = model.Standardization.call(mean);
        Assert.True(standardized.abs().max().item<float>() < 1e-6);

        // One std above the mean gives one.
        var std = tensor(new[] { 47.67f, 48.49f, 47.73f }).div(255).reshape(1, 3, 1, 1);
        var oneAbove = model.Standardization.call(mean + std);
        Assert.True((oneAbove - 1).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Forward_StandardizesBeforeTheNetwork()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(4);
        using var model = new SwiftNet(3);
        model.eval();
        using var _ = no_grad();
        var image = rand(1, 3, 64, 64);
        var mean = tensor(new[] { 73.15f, 82.9f, 72.3f }).div(255).reshape(1, 3, 1, 1);
        var std = tensor(new[] { 47.67f, 48.49f, 47.73f }).div(255).reshape(1, 3, 1, 1);

        var viaForward = model.call(image);
        Assert.True(viaForward.allclose(model.ForwardStandardized((image - mean) / std), rtol: 1e-4, atol: 1e-5));
        Assert.False(viaForward.allclose(model.ForwardStandardized(image), rtol: 1e-4, atol: 1e-5));
    }
}
