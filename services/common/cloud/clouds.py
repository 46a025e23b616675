"""The cloud a ServerTemplate launches on, and the cloud a recorded machine lives in (to terminate it)."""

from __future__ import annotations

from contracts.entities.server_template import AwsServerTemplate, HetznerServerTemplate
from services.common.cloud.machines import Cloud, CloudError
from services.common.cloud.settings import CloudSettings


def cloud_of_template(settings: CloudSettings, config: AwsServerTemplate | HetznerServerTemplate) -> Cloud:
    """The cloud and launch spec of a ServerTemplate's config."""
    # The cloud SDKs (aiobotocore, hcloud) are imported when a cloud is used: most installations never do, and
    # they are tens of MB in every process that imports them.
    from services.common.cloud.aws import AwsCloud, AwsSpec, AwsVolumeSpec
    from services.common.cloud.hetzner import (
        LOCATIONS,
        SERVER_TYPES,
        HetznerCloud,
        HetznerSpec,
        HetznerVolume,
    )

    if isinstance(config, AwsServerTemplate):
        if not settings.aws_access_key_id and not settings.aws_endpoint_url:
            raise CloudError("AWS: KOMODO_AWS_ACCESS_KEY_ID and KOMODO_AWS_SECRET_ACCESS_KEY are not set")
        p = config.params
        return AwsCloud(
            settings,
            AwsSpec(
                region=p.region,
                instance_type=p.instance_type,
                ami_id=p.ami_id,
                subnet_id=p.subnet_id,
                key_pair_name=p.key_pair_name,
                assign_public_ip=p.assign_public_ip,
                security_group_ids=list(p.security_group_ids),
                volumes=[
                    AwsVolumeSpec(v.device_name, v.size_gb, v.volume_type.value, v.iops, v.throughput)
                    for v in p.volumes
                ],
            ),
        )
    h = config.params
    return HetznerCloud(
        settings,
        HetznerSpec(
            server_type=SERVER_TYPES.get(h.server_type.value, h.server_type.value),
            image=h.image,
            location=LOCATIONS.get(h.datacenter.value, h.datacenter.value),
            ssh_keys=list(h.ssh_keys),
            network_ids=list(h.private_network_ids),
            firewall_ids=list(h.firewall_ids),
            labels=dict(h.labels),
            enable_public_ipv4=h.enable_public_ipv4,
            enable_public_ipv6=h.enable_public_ipv6,
            placement_group=int(h.placement_group),
            volumes=[
                HetznerVolume(v.name, int(v.size_gb), v.format.value.lower(), dict(v.labels))
                for v in h.volumes
            ],
        ),
    )


def cloud_of_machine(settings: CloudSettings, provider: str, region: str) -> Cloud:
    """A cloud able to list and terminate machines of `provider` in `region`."""
    from services.common.cloud.aws import AwsCloud, AwsSpec
    from services.common.cloud.hetzner import HetznerCloud, HetznerSpec

    if provider == "Aws":
        return AwsCloud(settings, AwsSpec(region=region, instance_type="", ami_id=""))
    if provider == "Hetzner":
        return HetznerCloud(settings, HetznerSpec(server_type="", image="", location=region))
    raise CloudError(f"unknown cloud provider {provider!r}")
