using SemiSeg.Training.Algorithms;
using SemiSeg.Training.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Tests.Algorithms;

public class MeanTeacherTests
{
    [Fact]
    public void EmaUpdatesWeightsAndBatchNormBuffers()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var student = new TinyNetwork();
        var teacher = new TinyNetwork();
        MeanTeacher.CopyFrom(teacher, student);
        Assert.False(teacher.training);

        // Move the student away: new weights and new BN statistics from a train-mode pass.
        using (no_grad())
        {
            foreach (var p in student.parameters())
            {
                p.add_(1.0);
            }
        }
        student.train();
        student.call(rand(4, 3, 5, 5) * 3);
        var teacherBefore = teacher.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var studentState = student.state_dict();

        MeanTeacher.Update(teacher, student, 0.99);

        foreach (var (name, value) in teacher.state_dict())
        {
            if (value.is_floating_point())
            {
                var expected = teacherBefore[name] * 0.99 + studentState[name] * 0.01;
                Assert.True(value.allclose(expected, rtol: 1e-5, atol: 1e-6), $"{name} is not the EMA");
                if (name.EndsWith("running_mean", StringComparison.Ordinal) || name.EndsWith("running_var", StringComparison.Ordinal))
                {
                    Assert.False(Tensors.Same(value, teacherBefore[name]), $"BN buffer {name} was not updated");
                }
            }
            else
            {
                Assert.True(Tensors.Same(value, studentState[name]), $"integer buffer {name} should be copied");
            }
        }
    }

    [Fact]
    public void CopyFromMakesAnExactCopy()
    {
        using var scope = NewDisposeScope();
        var student = new TinyNetwork();
        var teacher = new TinyNetwork();
        MeanTeacher.CopyFrom(teacher, student);
        var s = student.state_dict();
        Assert.All(teacher.state_dict(), kv => Assert.True(Tensors.Same(kv.Value, s[kv.Key])));
    }
}
