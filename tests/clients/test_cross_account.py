"""Two accounts on one server, as boto3 sees them: a second account made with
`horreo admin --endpoint` on the running server; a role of that account
assumed by a user of the first (both the trust policy and the user's own
permission are needed); a bucket ACL grant to the other account's canonical
id (its root may read; its users need their own permission too)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess

import pytest

from horreo_helpers import client, code_of

pytestmark = pytest.mark.timeout(300)


def printed(text: str, label: str) -> str:
    for line in text.splitlines():
        if line.startswith(label):
            return line[len(label) :].strip()
    raise AssertionError(f"no {label!r} in {text!r}")


def allow(actions, resources) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}]}
    )


@pytest.fixture
def two_accounts(horreo_server):
    """The first account (the server's root) and a new one, `tenant`, whose
    root owns a bucket holding one object."""
    out = subprocess.run(
        [os.environ["HORREO_BIN"], "admin", "account", "create", f"tenant-{secrets.token_hex(3)}"],
        env={
            "PATH": os.environ.get("PATH", ""),
            "HORREO_ENDPOINT": horreo_server.endpoint,
            "HORREO_REGION": horreo_server.region,
            "HORREO_ROOT_ACCESS_KEY": horreo_server.access_key,
            "HORREO_ROOT_SECRET_KEY": horreo_server.secret_key,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    tenant = {
        "id": printed(out.stdout, "account id:"),
        "canonical_id": printed(out.stdout, "canonical id:"),
        "key": printed(out.stdout, "root access key:"),
        "secret": printed(out.stdout, "root secret key:"),
    }
    first_root = client(horreo_server, "sts", horreo_server.access_key, horreo_server.secret_key)
    first = first_root.get_caller_identity()["Account"]
    tenant_s3 = client(horreo_server, "s3", tenant["key"], tenant["secret"])
    bucket = f"tenant-{secrets.token_hex(4)}"
    tenant_s3.create_bucket(Bucket=bucket)
    tenant_s3.put_object(Bucket=bucket, Key="report.csv", Body=b"a,b\n")
    # A user of the first account with no permissions yet.
    root_iam = client(horreo_server, "iam", horreo_server.access_key, horreo_server.secret_key)
    user = f"auditor-{secrets.token_hex(3)}"
    root_iam.create_user(UserName=user)
    key = root_iam.create_access_key(UserName=user)["AccessKey"]
    yield {
        "first": first,
        "tenant": tenant,
        "tenant_s3": tenant_s3,
        "bucket": bucket,
        "root_iam": root_iam,
        "user": user,
        "user_key": (key["AccessKeyId"], key["SecretAccessKey"]),
    }
    for entry in tenant_s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        tenant_s3.delete_object(Bucket=bucket, Key=entry["Key"])
    tenant_s3.delete_bucket(Bucket=bucket)


def test_a_user_assumes_a_role_of_another_account(horreo_server, two_accounts):
    w = two_accounts
    tenant = w["tenant"]
    tenant_iam = client(horreo_server, "iam", tenant["key"], tenant["secret"])
    role = f"shared-reader-{secrets.token_hex(3)}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{w['first']}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    role_arn = tenant_iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    assert role_arn == f"arn:aws:iam::{tenant['id']}:role/{role}"
    tenant_iam.put_role_policy(
        RoleName=role, PolicyName="read", PolicyDocument=allow("s3:GetObject", f"arn:aws:s3:::{w['bucket']}/*")
    )

    # Trusted by the other account is not enough: the user's own account must allow it.
    sts = client(horreo_server, "sts", *w["user_key"])
    assert code_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="audit") == "AccessDenied"
    w["root_iam"].put_user_policy(UserName=w["user"], PolicyName="assume", PolicyDocument=allow("sts:AssumeRole", role_arn))
    assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName="audit")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{tenant['id']}:assumed-role/{role}/audit"
    creds = assumed["Credentials"]
    s3 = client(horreo_server, "s3", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert s3.get_object(Bucket=w["bucket"], Key="report.csv")["Body"].read() == b"a,b\n"
    assert code_of(s3.put_object, Bucket=w["bucket"], Key="x", Body=b"x") == "AccessDenied"
    who = client(horreo_server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert who.get_caller_identity()["Account"] == tenant["id"]

    # A role that trusts only one named user of the first account refuses the others.
    narrow = f"narrow-{secrets.token_hex(3)}"
    narrow_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{w['first']}:user/someone-else"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    narrow_arn = tenant_iam.create_role(RoleName=narrow, AssumeRolePolicyDocument=json.dumps(narrow_trust))["Role"]["Arn"]
    w["root_iam"].put_user_policy(UserName=w["user"], PolicyName="assume", PolicyDocument=allow("sts:AssumeRole", "*"))
    assert code_of(sts.assume_role, RoleArn=narrow_arn, RoleSessionName="audit") == "AccessDenied"


def test_a_bucket_acl_grants_another_account(horreo_server, two_accounts):
    w = two_accounts
    bucket, tenant_s3 = w["bucket"], w["tenant_s3"]
    first_root_s3 = client(horreo_server, "s3", horreo_server.access_key, horreo_server.secret_key)
    first_canonical = first_root_s3.list_buckets()["Owner"]["ID"]
    assert code_of(first_root_s3.list_objects_v2, Bucket=bucket) == "AccessDenied"

    # ACLs are off (BucketOwnerEnforced) until the owner turns them on.
    grant = f'id="{first_canonical}"'
    assert code_of(tenant_s3.put_bucket_acl, Bucket=bucket, GrantRead=grant) == "AccessControlListNotSupported"
    tenant_s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    tenant_s3.put_bucket_acl(Bucket=bucket, GrantRead=grant)
    grants = tenant_s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert {"Grantee": {"ID": first_canonical, "Type": "CanonicalUser"}, "Permission": "READ"} in [
        {"Grantee": {k: v for k, v in g["Grantee"].items() if k in ("ID", "Type")}, "Permission": g["Permission"]}
        for g in grants
    ]

    # The other account's root may now list the bucket; reading objects needs an object grant.
    keys = [o["Key"] for o in first_root_s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["report.csv"]
    assert code_of(first_root_s3.get_object, Bucket=bucket, Key="report.csv") == "AccessDenied"
    assert code_of(first_root_s3.put_object, Bucket=bucket, Key="x", Body=b"x") == "AccessDenied"

    # Its users need their own account's permission as well.
    user_s3 = client(horreo_server, "s3", *w["user_key"])
    assert code_of(user_s3.list_objects_v2, Bucket=bucket) == "AccessDenied"
    w["root_iam"].put_user_policy(
        UserName=w["user"], PolicyName="list", PolicyDocument=allow("s3:ListBucket", f"arn:aws:s3:::{bucket}")
    )
    assert [o["Key"] for o in user_s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["report.csv"]
