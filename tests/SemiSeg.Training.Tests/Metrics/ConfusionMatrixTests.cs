using SemiSeg.Training.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Metrics;

public class ConfusionMatrixTests
{
    [Fact]
    public void MeanIoUMatchesAHandComputation()
    {
        using var scope = NewDisposeScope();
        // truth:     0 0 1 1 2 -1
        // predicted: 0 1 1 1 0  2
        var truth = tensor(new long[] { 0, 0, 1, 1, 2, -1 });
        var predicted = tensor(new long[] { 0, 1, 1, 1, 0, 2 });
        var m = new ConfusionMatrix(3);
        m.Add(predicted, truth);

        // Class 0: TP 1, FP 1 (truth 2 -> 0), FN 1 (truth 0 -> 1) => 1/3.
        // Class 1: TP 2, FP 1, FN 0 => 2/3. Class 2: TP 0, FP 0 (the -1 pixel is ignored), FN 1 => 0.
        var iou = m.IoUPerClass();
        Assert.Equal(1.0 / 3, iou[0], 10);
        Assert.Equal(2.0 / 3, iou[1], 10);
        Assert.Equal(0.0, iou[2], 10);
        Assert.Equal((1.0 / 3 + 2.0 / 3 + 0) / 3, m.MeanIoU(), 10);
        Assert.Equal(3.0 / 5, m.Accuracy(), 10);
        Assert.Equal(5, m.Total);
    }

    [Fact]
    public void AbsentClassesAreLeftOutOfTheMean()
    {
        using var scope = NewDisposeScope();
        var m = new ConfusionMatrix(4);
        m.Add(tensor(new long[] { 0, 1 }), tensor(new long[] { 0, 1 }));
        Assert.True(double.IsNaN(m.IoUPerClass()[3]));
        Assert.Equal(1.0, m.MeanIoU(), 10);
    }

    [Fact]
    public void BothAveragingsMatchAHandComputationWhenAClassIsAbsent()
    {
        using var scope = NewDisposeScope();
        // 4 classes; class 3 occurs in neither truth nor predictions (a capped validation set).
        // truth:     0 0 0 1 1 2 2
        // predicted: 0 0 1 1 1 2 0
        var m = new ConfusionMatrix(4);
        m.Add(tensor(new long[] { 0, 0, 1, 1, 1, 2, 0 }), tensor(new long[] { 0, 0, 0, 1, 1, 2, 2 }));

        // Class 0: TP 2, FN 1, FP 1 => 2/4. Class 1: TP 2, FP 1 => 2/3. Class 2: TP 1, FN 1 => 1/2. Class 3: 0/0.
        double sum = 2.0 / 4 + 2.0 / 3 + 1.0 / 2;
        Assert.Equal(sum / 3, m.MeanIoU(overAllClasses: false), 10);
        Assert.Equal(sum / 4, m.MeanIoU(overAllClasses: true), 10);
        Assert.Equal(m.MeanIoU(), m.MeanIoU(overAllClasses: false), 10);
        // Background everywhere: IoU 3/7 for class 0, 0 for the others present; all-class averaging also counts class 3.
        Assert.Equal(3.0 / 7 / 3, m.MeanIoUOfConstantPrediction(0, overAllClasses: false), 10);
        Assert.Equal(3.0 / 7 / 4, m.MeanIoUOfConstantPrediction(0, overAllClasses: true), 10);
    }

    [Fact]
    public void BothAveragingsAgreeWhenEveryClassOccurs()
    {
        using var scope = NewDisposeScope();
        var m = new ConfusionMatrix(3);
        m.Add(tensor(new long[] { 0, 1, 2, 2, 0 }), tensor(new long[] { 0, 1, 2, 1, 1 }));

        Assert.Equal(m.MeanIoU(overAllClasses: false), m.MeanIoU(overAllClasses: true), 12);
        Assert.Equal(m.MeanIoUOfConstantPrediction(0, overAllClasses: false), m.MeanIoUOfConstantPrediction(0, overAllClasses: true), 12);
    }

    [Fact]
    public void AccumulatesAcrossBatches()
    {
        using var scope = NewDisposeScope();
        var whole = new ConfusionMatrix(3);
        var parts = new ConfusionMatrix(3);
        var truth = randint(0, 3, 100);
        var predicted = randint(0, 3, 100);
        whole.Add(predicted, truth);
        parts.Add(predicted[..40], truth[..40]);
        parts.Add(predicted[40..], truth[40..]);
        Assert.Equal(whole.MeanIoU(), parts.MeanIoU(), 12);
        for (int t = 0; t < 3; t++)
        {
            for (int p = 0; p < 3; p++)
            {
                Assert.Equal(whole[t, p], parts[t, p]);
            }
        }
    }

    [Fact]
    public void ConstantPredictionReferenceMatchesAnActualConstantPrediction()
    {
        using var scope = NewDisposeScope();
        var truth = tensor(new long[] { 0, 0, 0, 1, 2, 2, -1 });
        var m = new ConfusionMatrix(4);
        m.Add(randint(0, 4, 7), truth);
        var constant = new ConfusionMatrix(4);
        constant.Add(zeros(7, dtype: ScalarType.Int64), truth);
        // Background IoU 3/6 over the 3 classes present in the truth.
        Assert.Equal(0.5 / 3, m.MeanIoUOfConstantPrediction(0), 10);
        Assert.Equal(constant.MeanIoU() * 3 / 3, m.MeanIoUOfConstantPrediction(0), 10);
    }
}
