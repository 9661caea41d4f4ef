namespace SemiSeg.Grains;

/// <summary>Timings and limits of supervision, shared by every silo of a cluster.</summary>
public sealed class OrchestrationOptions
{
    /// <summary>How often a worker tells the run grain its attempt is alive (and learns of a cancel).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>An attempt without a heartbeat for this long is given up and the run goes back to pending. A dead
    /// silo's attempts are given up sooner, as soon as membership declares the silo dead.</summary>
    public TimeSpan LeaseTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How often a sweep supervises its running runs and saves its state.</summary>
    public TimeSpan SupervisorInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a supervisor tick waits for a run grain's answer; a run that does not answer (its silo is
    /// frozen) is skipped until it does, so one slow silo cannot stall a sweep.</summary>
    public TimeSpan SuperviseCallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A run that lost its silo (or failed, or has a checkpoint to resume from) and has waited this long in the
    /// queue without a free slot takes the slot of a run that has only just started (see <see cref="YieldWindow"/>): a
    /// slot freed before the loss was detected (a restarted worker) may have gone to a run that never started.</summary>
    public TimeSpan YieldAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Only a run that started less than this long ago is asked to give its slot away (it loses at most this much
    /// work and goes back to the front of the queue); zero turns yielding off.</summary>
    public TimeSpan YieldWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts that fail (the trainer exits with an error) before the run is marked failed.</summary>
    public int MaxFailedAttempts { get; set; } = 3;

    /// <summary>Attempts lost with their silo before the run is marked failed (a run that kills its silo each time).</summary>
    public int MaxLostAttempts { get; set; } = 10;

    public void Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero || LeaseTimeout <= HeartbeatInterval * 2)
        {
            throw new ArgumentException($"orchestration: lease timeout ({LeaseTimeout}) must be more than twice the heartbeat interval ({HeartbeatInterval}). Fix: raise LeaseTimeout or lower HeartbeatInterval");
        }
        if (SuperviseCallTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"orchestration: SuperviseCallTimeout ({SuperviseCallTimeout}) must be positive. Fix: give it a few seconds");
        }
        if (YieldAfter < TimeSpan.Zero || YieldWindow < TimeSpan.Zero)
        {
            throw new ArgumentException($"orchestration: YieldAfter ({YieldAfter}) and YieldWindow ({YieldWindow}) must not be negative. Fix: set them to zero or more (YieldWindow 0 turns yielding off)");
        }
        if (MaxFailedAttempts < 1 || MaxLostAttempts < 1)
        {
            throw new ArgumentException("orchestration: MaxFailedAttempts and MaxLostAttempts must be at least 1. Fix: set them to 1 or more");
        }
    }
}

/// <summary>Names shared by the silo host and the grains.</summary>
public static class StorageNames
{
    /// <summary>The grain storage provider holding sweep, run and directory state.</summary>
    public const string GrainState = "semiseg";
}
