using SemiSeg.Training.Config;

namespace SemiSeg.Training.Data;

/// <summary>
/// The paper's labeled subsets: the training indices are permuted with a seeded permutation and split into n folds
/// (n = 1/label_fraction); the labeled subset is fold subset_fold (0 by default). Folds follow numpy.array_split: the
/// first N mod n folds get one extra item, so 1/8 of Cityscapes' 2975 images is 372, as in the paper. The unlabeled set
/// is the whole training split. For classification the folds are class-balanced: each class's indices are permuted
/// and split the same way (CIFAR-10's 4000 labels = 5 disjoint folds of 400 per class).
/// </summary>
public static class LabelSubsets
{
    public static int[] Labeled(IImageDataset train, DataConfig config, int runSeed)
    {
        int seed = config.SubsetSeed ?? runSeed;
        if (train.ClassLabels is IReadOnlyList<int> classes)
        {
            int classCount = train.Info.NumClasses;
            var byClass = Enumerable.Range(0, classCount).Select(c => new List<int>()).ToArray();
            for (int i = 0; i < classes.Count; i++)
            {
                byClass[classes[i]].Add(i);
            }
            return byClass
                .SelectMany((members, c) => Fold(Permute(members, seed * 31 + c), config, classCount))
                .Order()
                .ToArray();
        }
        return Fold(Permute(Enumerable.Range(0, train.Count).ToList(), seed), config, 1).Order().ToArray();
    }

    /// <summary>Fold <c>config.SubsetFold</c> of <paramref name="permuted"/>. With labeled_count the fold size is
    /// labeled_count / <paramref name="shares"/> (shares = classes for class-balanced folds).</summary>
    private static IEnumerable<int> Fold(List<int> permuted, DataConfig config, int shares)
    {
        int n = permuted.Count;
        if (config.LabeledCount is int count)
        {
            int size = count / shares;
            long start = (long)config.SubsetFold * size;
            if (size == 0 || start + size > n)
            {
                throw new ConfigException(null, null, "data.labeled_count",
                    $"fold {config.SubsetFold} of {size} examples per share needs {start + size} examples but there are {n}", "use a smaller labeled_count or subset_fold");
            }
            return permuted.GetRange((int)start, size);
        }
        int folds = LabelFraction.Folds(LabelFraction.Parse(config.LabelFraction))
            ?? throw new ConfigException(null, null, "data.label_fraction", $"{config.LabelFraction} is not 1/n, so it does not split the data into folds",
                "use 1/n (1/8, 1/4, 1/2, 1) or labeled_count");
        if (config.SubsetFold >= folds)
        {
            throw new ConfigException(null, null, "data.subset_fold", $"fold {config.SubsetFold} does not exist: label_fraction {config.LabelFraction} gives {folds} folds",
                $"use a fold in 0..{folds - 1}");
        }
        if (n < folds)
        {
            throw new ConfigException(null, null, "data.label_fraction", $"{n} training examples cannot be split into the {folds} folds of label_fraction {config.LabelFraction}",
                "use a larger label_fraction, or more training data");
        }
        int baseSize = n / folds, extra = n % folds;
        int foldStart = config.SubsetFold * baseSize + Math.Min(config.SubsetFold, extra);
        int foldSize = baseSize + (config.SubsetFold < extra ? 1 : 0);
        return permuted.GetRange(foldStart, foldSize);
    }

    /// <summary>A Fisher–Yates permutation from System.Random(seed): stable across processes and runs.</summary>
    public static List<int> Permute(List<int> items, int seed)
    {
        var result = new List<int>(items);
        var random = new Random(seed);
        for (int i = result.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (result[i], result[j]) = (result[j], result[i]);
        }
        return result;
    }
}
