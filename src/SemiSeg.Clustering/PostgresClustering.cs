using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Messaging;

namespace SemiSeg.Clustering;

/// <summary>Registers PostgreSQL membership: the table for silos, the gateway list for clients.</summary>
public static class PostgresClustering
{
    public static IServiceCollection AddPostgresMembershipTable(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton(new PostgresClusteringOptions(connectionString));
        services.AddSingleton<IMembershipTable, PostgresMembershipTable>();
        return services;
    }

    public static IServiceCollection AddPostgresGatewayList(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton(new PostgresClusteringOptions(connectionString));
        services.AddSingleton<IGatewayListProvider, PostgresGatewayListProvider>();
        return services;
    }
}
