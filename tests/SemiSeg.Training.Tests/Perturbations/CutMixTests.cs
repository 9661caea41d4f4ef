using SemiSeg.Training.Perturbations;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Perturbations;

public class CutMixTests
{
    [Fact]
    public void BoxCoversHalfTheImageAndStaysInside()
    {
        using var scope = NewDisposeScope();
        var perturbation = new CutMixPerturbation();
        using var generator = new Generator(11);
        for (int trial = 0; trial < 20; trial++)
        {
            using var sample = (CutMixSample)perturbation.Sample(4, 40, 60, CPU, generator);
            for (int i = 0; i < 4; i++)
            {
                double area = sample.Boxes[i].mean().item<float>();
                Assert.InRange(area, 0.45, 0.55);
            }
            Assert.True(Support.Tensors.Same(sample.Boxes[0], sample.Boxes[1]));
        }
    }

    [Fact]
    public void PairsSwapThePixelsOutsideTheBoxInInputsAndTargetsAlike()
    {
        using var scope = NewDisposeScope();
        var x = rand(4, 3, 20, 20);
        var target = randn(4, 7, 20, 20);
        using var generator = new Generator(3);
        using var sample = (CutMixSample)new CutMixPerturbation().Sample(4, 20, 20, CPU, generator);
        var mixed = sample.ApplyToInput(x);
        var mixedTarget = sample.ApplyToTarget(target);
        var inside = sample.Boxes[0, 0].to(ScalarType.Bool);
        foreach (var (image, partner) in new[] { (0, 1), (1, 0), (2, 3), (3, 2) })
        {
            var box = sample.Boxes[image, 0].to(ScalarType.Bool);
            Assert.True(mixed[image].masked_select(box.expand(3, -1, -1)).equal(x[image].masked_select(box.expand(3, -1, -1))).all().item<bool>());
            Assert.True(mixed[image].masked_select(box.logical_not().expand(3, -1, -1)).equal(x[partner].masked_select(box.logical_not().expand(3, -1, -1))).all().item<bool>());
            Assert.True(mixedTarget[image].masked_select(box.logical_not().expand(7, -1, -1)).equal(target[partner].masked_select(box.logical_not().expand(7, -1, -1))).all().item<bool>());
        }
        Assert.True(inside.any().item<bool>());
        Assert.True(sample.ValidMask().all().item<bool>());
        Assert.Throws<InvalidOperationException>(() => sample.InverseTarget(target));
    }

    [Fact]
    public void AnUnpairedLastImageIsLeftUnmixed()
    {
        using var scope = NewDisposeScope();
        var x = rand(3, 3, 10, 10);
        using var generator = new Generator(3);
        using var sample = new CutMixPerturbation().Sample(3, 10, 10, CPU, generator);
        Assert.True(Support.Tensors.Same(sample.ApplyToInput(x)[2], x[2]));
    }
}
