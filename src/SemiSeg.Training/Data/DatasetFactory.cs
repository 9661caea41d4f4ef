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
}
