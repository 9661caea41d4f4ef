using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemiSeg.Training.Models;

/// <summary>Weight initialisation shared by the models.</summary>
internal static class Initialization
{
    /// <summary>torchvision's ResNet scheme, which vidlu's <c>kaiming_resnet</c> also applies to the SwiftNet decoder:
    /// conv weights ~ Kaiming normal (fan-out, ReLU gain), conv biases 0, BN weight 1 and bias 0, linear biases 0
    /// (linear weights keep their default init).</summary>
    public static void KaimingFanOut(nn.Module root)
    {
        using var _ = no_grad();
        foreach (var module in root.modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                    if (conv.bias is not null)
                        nn.init.zeros_(conv.bias);
                    break;
                case BatchNorm2d norm:
                    nn.init.ones_(norm.weight);
                    nn.init.zeros_(norm.bias);
                    break;
                case Linear linear when linear.bias is not null:
                    nn.init.zeros_(linear.bias);
                    break;
            }
        }
    }
}
