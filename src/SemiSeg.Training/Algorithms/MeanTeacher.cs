using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Algorithms;

/// <summary>
/// Mean Teacher: teacher ← d·teacher + (1 − d)·student after every optimizer step, over every floating-point entry
/// of the state dict, i.e. weights and BN running statistics alike (as the authors' update_mean_teacher does).
/// Integer buffers (BN's num_batches_tracked) are copied. The teacher is kept in eval mode and never trained.
/// </summary>
public static class MeanTeacher
{
    /// <summary>Makes the teacher an exact copy of the student (the EMA's starting point).</summary>
    public static void CopyFrom(nn.Module teacher, nn.Module student)
    {
        using var noGrad = no_grad();
        var studentState = student.state_dict();
        foreach (var (name, tensor) in teacher.state_dict())
        {
            tensor.copy_(studentState[name]);
        }
        teacher.eval();
    }

    public static void Update(nn.Module teacher, nn.Module student, double decay)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var studentState = student.state_dict();
        foreach (var (name, teacherTensor) in teacher.state_dict())
        {
            var studentTensor = studentState[name];
            if (teacherTensor.is_floating_point())
            {
                teacherTensor.mul_(decay).add_(studentTensor, alpha: 1 - decay);
            }
            else
            {
                teacherTensor.copy_(studentTensor);
            }
        }
    }
}
