using SemiSeg.Security;

namespace SemiSeg.Grains;

[GenerateSerializer, Alias("semiseg.SweepDirectoryState")]
public sealed class SweepDirectoryState
{
    [Id(0)] public List<string> Active { get; set; } = [];
    [Id(1)] public List<string> All { get; set; } = [];
}

/// <summary>The cluster's sweeps, and which of them still have work; worker slots poll it.</summary>
public sealed class SweepDirectoryGrain(
    [PersistentState("directory", StorageNames.GrainState)] IPersistentState<SweepDirectoryState> state) : Grain, ISweepDirectoryGrain
{
    public async Task SetActive(string sweepId, bool active)
    {
        SafeNames.CheckSweepId(sweepId); // workers call every active sweep: a bad id must never get in
        bool changed = false;
        if (!state.State.All.Contains(sweepId))
        {
            state.State.All.Add(sweepId);
            changed = true;
        }
        if (active != state.State.Active.Contains(sweepId))
        {
            if (active)
            {
                state.State.Active.Add(sweepId);
            }
            else
            {
                state.State.Active.Remove(sweepId);
            }
            changed = true;
        }
        if (changed)
        {
            await state.WriteStateAsync();
        }
    }

    public Task<string[]> GetActive() => Task.FromResult(state.State.Active.ToArray());

    public Task<string[]> GetAll() => Task.FromResult(state.State.All.ToArray());
}
