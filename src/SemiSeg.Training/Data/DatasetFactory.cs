using SemiSeg.Training.Config;

namespace SemiSeg.Training.Data;

public static class DatasetFactory
{
    public static IImageDataset Create(DataConfig config, Split split) => config.Dataset switch
    {
        DatasetNames.FashionScenes => new FashionScenesDataset(FashionMnistSplit.Load(config.Root, split), config.FashionScenes, split),
        DatasetNames.FashionMnist => new FashionMnistDataset(FashionMnistSplit.Load(config.Root, split)),
        DatasetNames.Cityscapes => new CityscapesDataset(config.Root ?? "cityscapes", split, config.Downsampling),
        DatasetNames.Cifar10 => new Cifar10Dataset(config.Root ?? "cifar10", split),
        _ => throw new ConfigException(null, null, "data.dataset", $"'{config.Dataset}' is not a known dataset", $"use one of: {string.Join(", ", DatasetNames.All)}"),
    };

    /// <summary>Why the dataset's files are not on this machine (the message names the folder and the fix), or null
    /// when they are there. Only looks for the files, so it is quick; reading them can still fail.</summary>
    public static string? MissingData(DataConfig config)
    {
        switch (config.Dataset)
        {
            case DatasetNames.FashionScenes or DatasetNames.FashionMnist:
                return FashionMnistSplit.MissingFiles(config.Root, Split.Train) ?? FashionMnistSplit.MissingFiles(config.Root, Split.Val);
            case DatasetNames.Cityscapes:
                string cityscapes = Path.GetFullPath(config.Root ?? "cityscapes");
                return Directory.Exists(Path.Combine(cityscapes, "leftImg8bit", "train")) ? null
                    : $"{cityscapes}: no leftImg8bit/train folder. Fix: set data.root to the Cityscapes folder (leftImg8bit/ and gtFine/).";
            case DatasetNames.Cifar10:
                string cifar = Path.GetFullPath(config.Root ?? "cifar10");
                return File.Exists(Path.Combine(cifar, "data_batch_1.bin")) || File.Exists(Path.Combine(cifar, "cifar-10-batches-bin", "data_batch_1.bin")) ? null
                    : $"{cifar}: no CIFAR-10 binary files (data_batch_1.bin). Fix: set data.root to the folder of the binary version of CIFAR-10.";
            default:
                return null;
        }
    }
}
