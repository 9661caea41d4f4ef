using SemiSeg.Training.Config;

namespace SemiSeg.Training.Running;

/// <summary>Everything a run needs besides its config.</summary>
public sealed record RunRequest
{
    public required RunConfig Config { get; init; }

    /// <summary>Folder for config.json, metrics.jsonl, checkpoints/ and result.json.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>cpu, cuda or cuda:N.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Continue from the newest checkpoint in the output folder (start at step 0 when there is none).</summary>
    public bool Resume { get; init; }

    /// <summary>Start afresh in a folder that holds a run's outputs, deleting them first. Without it (or
    /// <see cref="Resume"/>) such a folder is refused: outputs are never overwritten silently.</summary>
    public bool Force { get; init; }

    /// <summary>Checkpoints kept in checkpoints/ (older ones are deleted).</summary>
    public int KeepCheckpoints { get; init; } = 2;

    public IRunObserver? Observer { get; init; }
}
