namespace SemiSeg.Grains;

/// <summary>A running run that might give its slot away: when its attempt was dispatched, and its number.</summary>
public readonly record struct YieldCandidate(string RunKey, DateTimeOffset StartedAt, int Attempt);

/// <summary>
/// Which just-started runs give their slot to runs that lost theirs. A silo's loss is detected seconds after it dies
/// (membership, or the heartbeat lease); a slot freed meanwhile (a restarted worker) takes the next run of the queue,
/// one that never started, and the lost run, although first in the queue, would wait for the next run to finish
/// (minutes to hours). So a resumable run that waited <c>yieldAfter</c> without getting a slot takes the slot of the
/// youngest run that started less than <c>window</c> ago: that run loses under <c>window</c> of work (less if it wrote a
/// checkpoint meanwhile) and goes back to the front of the queue itself. A run that gave its slot away never makes
/// another run yield, so there are never more yields than lost or failed attempts.
/// </summary>
public static class SlotYielding
{
    /// <param name="waitingSince">When each resumable run waiting for a slot was queued.</param>
    /// <param name="alreadyYielding">Runs asked to yield whose slot has not come free yet.</param>
    /// <returns>The runs to ask, youngest first; at most one for each run that waited long enough.</returns>
    public static IReadOnlyList<string> Choose(IEnumerable<DateTimeOffset> waitingSince, int alreadyYielding,
        IEnumerable<YieldCandidate> running, DateTimeOffset now, TimeSpan yieldAfter, TimeSpan window)
    {
        if (window <= TimeSpan.Zero)
        {
            return [];
        }
        int needed = waitingSince.Count(since => now - since >= yieldAfter) - alreadyYielding;
        if (needed <= 0)
        {
            return [];
        }
        return running
            .Where(r => now - r.StartedAt < window)
            .OrderByDescending(r => r.StartedAt)
            .ThenBy(r => r.RunKey, StringComparer.Ordinal)
            .Take(needed)
            .Select(r => r.RunKey)
            .ToList();
    }
}
