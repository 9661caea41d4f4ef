namespace SemiSeg.Training.Running;

/// <summary>
/// An endless stream of example indices made of one shuffled pass (epoch) after another, as a data loader with
/// reshuffling gives. Batch k is a pure function of (seed, k), so a resumed run sees the same batches.
/// </summary>
public sealed class IndexStream(IReadOnlyList<int> indices, long seed, ulong stream)
{
    private int _cachedEpoch = -1;
    private int[] _cachedOrder = [];

    public int Count => indices.Count;

    /// <summary>The indices of batch <paramref name="batch"/> of size <paramref name="size"/>.</summary>
    public int[] Batch(long batch, int size)
    {
        var result = new int[size];
        for (int i = 0; i < size; i++)
        {
            long position = batch * size + i;
            result[i] = EpochOrder((int)(position / indices.Count))[(int)(position % indices.Count)];
        }
        return result;
    }

    private int[] EpochOrder(int epoch)
    {
        if (epoch != _cachedEpoch)
        {
            var order = indices.ToArray();
            var random = StepRandom.Random(seed, epoch, stream);
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
            (_cachedEpoch, _cachedOrder) = (epoch, order);
        }
        return _cachedOrder;
    }
}
