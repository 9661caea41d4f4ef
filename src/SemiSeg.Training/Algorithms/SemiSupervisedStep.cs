using SemiSeg.Training.Config;
using SemiSeg.Training.Models;
using SemiSeg.Training.Perturbations;
using TorchSharp;
using static TorchSharp.torch;

namespace SemiSeg.Training.Algorithms;

/// <summary>Loss terms of one step, as plain numbers for logging.</summary>
public readonly record struct StepLosses(double Supervised, double Consistency, double Total);

/// <summary>
/// One training iteration of the paper's algorithm (vidlu SemisupCleanTargetConsStepBase): supervised cross-entropy on
/// the labeled batch, back-propagated at once (separate passes keep peak memory low), then the consistency term on
/// the unlabeled batch, then one optimizer step and, for Mean Teacher, the EMA update.
/// </summary>
/// <remarks>
/// Branches of the consistency term, with P = the sampled perturbation (P_x on inputs, P_y its geometric part on
/// targets), S = student, T = teacher (simple: S itself in train mode under stop-gradient; mt: the EMA copy, eval mode):
/// <list type="bullet">
/// <item>1w-ps: target P_y(T(x)) without gradient, prediction S(P_x(x)).</item>
/// <item>1w-pt: target from the perturbed input without gradient (simple: S(P_x(x)); mt: T(P_x(x)), the principled
/// perturbed-teacher MT), prediction P_y(S(x)) with gradient.</item>
/// <item>1w-pt-vidlu (mt only): the authors' code's MT-1w-pt. Target S(P_x(x)) without gradient, prediction
/// P_y(T(x)) with the gradient, which reaches only the EMA teacher; no optimizer updates it, so the student learns
/// from the supervised loss alone (their MT-1w-pt cell equals supervised).</item>
/// <item>2w-p1 (simple only): target S(P_x(x)) and prediction P_y(S(x)), both with gradient.</item>
/// <item>1w-p2: the teacher sees its own perturbation P1, its output is mapped back to the clean frame (inverse TPS)
/// and warped by the student's P2: target P2_y(P1⁻¹(T(P1_x(x)))), prediction S(P2_x(x)).</item>
/// </list>
/// The student's pass on its perturbed input leaves BN running statistics unchanged unless update_bn_on_perturbed is
/// set (vidlu's default). 1w-p2's simple teacher (the student on the teacher's perturbed input) follows
/// p2_teacher_bn_stats instead: update (the authors' code) or freeze.
/// </remarks>
public sealed class SemiSupervisedStep(
    AlgorithmConfig config,
    bool segmentation,
    int numClasses,
    Network student,
    Network? meanTeacher,
    IPerturbation? perturbation,
    optim.Optimizer optimizer)
{
    /// <summary>Whether the step has a consistency term, i.e. needs an unlabeled batch.</summary>
    public bool UsesUnlabeledData { get; } = config.Teacher != TeacherNames.None && config.Alpha > 0;

    public StepLosses Run(Tensor labeledImages, Tensor labels, Tensor? unlabeledImages, Generator generator)
    {
        student.train();
        optimizer.zero_grad();

        if (config.PerturbLabeled && perturbation is not null)
        {
            (labeledImages, labels) = PerturbLabeledBatch(labeledImages, labels, generator);
        }
        var supervised = ConsistencyLosses.CrossEntropy(student.call(labeledImages), labels);
        supervised.backward();
        double supervisedValue = supervised.item<float>();

        double consistencyValue = 0;
        if (UsesUnlabeledData && unlabeledImages is not null)
        {
            var consistency = ConsistencyLoss(unlabeledImages, generator);
            if (consistency.requires_grad)
            {
                (consistency * config.Alpha).backward();
            }
            // 1w-pt-vidlu's gradient lands in the EMA teacher, which nothing optimises (as in the authors' code);
            // clear it rather than let it accumulate there.
            if (config.Variant == VariantNames.OneWayPerturbTeacherVidlu)
            {
                meanTeacher?.zero_grad();
            }
            consistencyValue = consistency.item<float>();
        }

        optimizer.step();
        if (meanTeacher is not null)
        {
            MeanTeacher.Update(meanTeacher, student, config.EmaDecay);
        }
        return new StepLosses(supervisedValue, consistencyValue, supervisedValue + config.Alpha * consistencyValue);
    }

    /// <summary>The consistency loss for one unlabeled batch (exposed for tests of which branch gets gradients).</summary>
    internal Tensor ConsistencyLoss(Tensor x, Generator generator)
    {
        if (perturbation is null)
        {
            throw new InvalidOperationException("A consistency step needs a perturbation.");
        }
        using var sample = perturbation.Sample(x.shape[0], x.shape[2], x.shape[3], x.device, generator);
        bool mt = meanTeacher is not null;

        switch (config.Variant)
        {
            case VariantNames.OneWayPerturbStudent:
            {
                var target = TargetSide(sample, TeacherForward(x)).detach();
                var prediction = PerturbedStudentForward(sample.ApplyToInput(x), withGradient: true);
                return Loss(target, prediction, Valid(sample));
            }
            case VariantNames.OneWayPerturbTeacher:
            {
                var perturbedInput = sample.ApplyToInput(x);
                var target = (mt ? TeacherForward(perturbedInput) : PerturbedStudentForward(perturbedInput, withGradient: false)).detach();
                var prediction = TargetSide(sample, student.call(x));
                return Loss(target, prediction, Valid(sample));
            }
            case VariantNames.OneWayPerturbTeacherVidlu:
            {
                // vidlu's MeanTeacherStep with the 1w-pt flags (rev_cons, block_grad_on_pert, not block_grad_on_clean):
                // the perturbed input always goes through the student, here under no_grad, and the clean input
                // through the EMA teacher, with the gradient.
                var teacher = meanTeacher ?? throw new InvalidOperationException("1w-pt-vidlu needs the Mean Teacher.");
                var target = PerturbedStudentForward(sample.ApplyToInput(x), withGradient: false).detach();
                var prediction = TargetSide(sample, teacher.call(x));
                return Loss(target, prediction, Valid(sample));
            }
            case VariantNames.TwoWayPerturbOne:
            {
                var target = PerturbedStudentForward(sample.ApplyToInput(x), withGradient: true);
                var prediction = TargetSide(sample, student.call(x));
                return Loss(target, prediction, Valid(sample));
            }
            case VariantNames.OneWayPerturbBoth:
            {
                using var teacherSample = perturbation.Sample(x.shape[0], x.shape[2], x.shape[3], x.device, generator);
                // The simple teacher is the student in train mode on its own perturbed input. The authors' code lets
                // this pass update the BN running statistics (its norm_stats_tracking_off condition is the reverse of
                // the student pass's); freeze leaves them to clean batches like the student's perturbed pass.
                var teacherInput = teacherSample.ApplyToInput(x);
                var teacherOutput = mt ? TeacherForward(teacherInput) : SimpleTeacherForwardOnPerturbed(teacherInput);
                var (cleanFrameTarget, cleanFrameValid) = teacherSample.InverseTarget(teacherOutput);
                var target = sample.ApplyToTarget(cleanFrameTarget).detach();
                // A pixel is valid if the student's warp samples it from inside the image and from pixels the
                // teacher's inverse map covers.
                var carriedValid = sample.ApplyToTarget(cleanFrameValid.unsqueeze(1).to(x.dtype)).squeeze(1).ge(1 - 1e-6);
                var valid = sample.ValidMask().logical_and(carriedValid);
                var prediction = PerturbedStudentForward(sample.ApplyToInput(x), withGradient: true);
                return Loss(target, prediction, valid);
            }
            default:
                throw new InvalidOperationException($"Unknown consistency variant '{config.Variant}'.");
        }

        Tensor TargetSide(PerturbationSample s, Tensor logits) => segmentation ? s.ApplyToTarget(logits) : logits;
        Tensor? Valid(PerturbationSample s) => segmentation ? s.ValidMask() : null;
    }

    /// <summary>The clean teacher pass without gradient: the EMA teacher in eval mode, or the student itself in train
    /// mode (it uses the clean batch's statistics and updates its BN running stats, as in the paper).</summary>
    private Tensor TeacherForward(Tensor x)
    {
        using var noGrad = no_grad();
        return (meanTeacher ?? student).call(x);
    }

    private Tensor SimpleTeacherForwardOnPerturbed(Tensor perturbed)
    {
        using var frozen = config.P2TeacherBnStats == BnStatsNames.Freeze ? new FrozenBatchNormStatistics(student) : null;
        using var noGrad = no_grad();
        return student.call(perturbed);
    }

    private Tensor PerturbedStudentForward(Tensor perturbed, bool withGradient)
    {
        using var frozen = config.UpdateBnOnPerturbed ? null : new FrozenBatchNormStatistics(student);
        if (withGradient)
        {
            return student.call(perturbed);
        }
        using var noGrad = no_grad();
        return student.call(perturbed);
    }

    private Tensor Loss(Tensor target, Tensor prediction, Tensor? valid) =>
        config.Perturbation == PerturbationNames.CutMixStar
            ? ConsistencyLosses.ConfidenceThresholdedSquaredL2(target, prediction, config.ConfidenceThreshold, valid)
            : ConsistencyLosses.KlDivergence(target, prediction, valid);

    /// <summary>"Supervised + perturbation as augmentation": the labeled images are perturbed and their hard labels
    /// follow the geometric part (one-hot, warped, arg-max; pixels from outside the image become ignore).</summary>
    private (Tensor Images, Tensor Labels) PerturbLabeledBatch(Tensor images, Tensor labels, Generator generator)
    {
        using var sample = perturbation!.Sample(images.shape[0], images.shape[2], images.shape[3], images.device, generator);
        var perturbed = sample.ApplyToInput(images);
        if (!segmentation)
        {
            return (perturbed, labels);
        }
        long classes = numClasses;
        // Channel `classes` marks ignore pixels so they stay ignore after warping.
        var oneHot = nn.functional.one_hot(labels.where(labels.ge(0), classes), classes + 1).permute(0, 3, 1, 2).to(images.dtype);
        var warped = sample.ApplyToTarget(oneHot).argmax(1);
        var valid = sample.ValidMask().logical_and(warped.lt(classes));
        return (perturbed, warped.where(valid, -1));
    }
}
