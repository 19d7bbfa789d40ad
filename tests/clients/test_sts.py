"""STS on the S3 endpoint: boto3's `sts` client and the AWS CLI assume a role
and get session tokens; the temporary credentials then sign S3 requests with
the role's permissions (limited by a session policy), expire, and cannot be
forged. The CLI's own role profile (`role_arn` + `source_profile`) works."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from horreo_helpers import client, code_of

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def world(horreo_server, s3, bucket):
    """A user `dev` (who may only assume roles) and a role `reader` that may
    read `bucket` and that `dev` is trusted to assume."""
    root_iam = client(horreo_server, "iam", horreo_server.access_key, horreo_server.secret_key)
    root_sts = client(horreo_server, "sts", horreo_server.access_key, horreo_server.secret_key)
    account = root_sts.get_caller_identity()["Account"]
    suffix = secrets.token_hex(3)
    user = f"dev-{suffix}"
    role = f"reader-{suffix}"
    root_iam.create_user(UserName=user)
    key = root_iam.create_access_key(UserName=user)["AccessKey"]
    root_iam.put_user_policy(
        UserName=user,
        PolicyName="assume",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
        ),
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/{user}"}, "Action": "sts:AssumeRole"}
        ],
    }
    role_arn = root_iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    root_iam.put_role_policy(
        RoleName=role,
        PolicyName="read",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    }
                ],
            }
        ),
    )
    s3.put_object(Bucket=bucket, Key="public/a.txt", Body=b"a")
    s3.put_object(Bucket=bucket, Key="private/b.txt", Body=b"b")
    return {
        "account": account,
        "user": user,
        "key": key,
        "role": role,
        "role_arn": role_arn,
        "bucket": bucket,
    }


def test_get_caller_identity_and_session_token(horreo_server, world):
    key = world["key"]
    sts = client(horreo_server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    me = sts.get_caller_identity()
    assert me["Account"] == world["account"]
    assert me["Arn"] == f"arn:aws:iam::{world['account']}:user/{world['user']}"
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    temp = client(horreo_server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert temp.get_caller_identity()["Arn"] == me["Arn"]
    # The user may not use S3, and neither may its session.
    s3 = client(horreo_server, "s3", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert code_of(s3.get_object, Bucket=world["bucket"], Key="public/a.txt") == "AccessDenied"
    # Without its token, or with a forged one, the key signs nothing.
    assert code_of(client(horreo_server, "s3", creds["AccessKeyId"], creds["SecretAccessKey"]).list_buckets) == "InvalidAccessKeyId"
    forged = creds["SessionToken"][:-4] + ("AAAA" if not creds["SessionToken"].endswith("AAAA") else "BBBB")
    s3_forged = client(horreo_server, "s3", creds["AccessKeyId"], creds["SecretAccessKey"], forged)
    assert code_of(s3_forged.list_buckets) == "InvalidToken"


def test_assume_role_reads_with_the_roles_permissions(horreo_server, world):
    key = world["key"]
    sts = client(horreo_server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    assumed = sts.assume_role(RoleArn=world["role_arn"], RoleSessionName="ci-job", DurationSeconds=900)
    creds = assumed["Credentials"]
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{world['account']}:assumed-role/{world['role']}/ci-job"
    s3 = client(horreo_server, "s3", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert s3.get_object(Bucket=world["bucket"], Key="private/b.txt")["Body"].read() == b"b"
    assert code_of(s3.put_object, Bucket=world["bucket"], Key="new", Body=b"x") == "AccessDenied"
    who = client(horreo_server, "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    assert who.get_caller_identity()["Arn"] == assumed["AssumedRoleUser"]["Arn"]

    # A session policy narrows the role to one prefix.
    narrowed = sts.assume_role(
        RoleArn=world["role_arn"],
        RoleSessionName="narrow",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{world['bucket']}/public/*"}
                ],
            }
        ),
    )["Credentials"]
    s3n = client(horreo_server, "s3", narrowed["AccessKeyId"], narrowed["SecretAccessKey"], narrowed["SessionToken"])
    assert s3n.get_object(Bucket=world["bucket"], Key="public/a.txt")["Body"].read() == b"a"
    assert code_of(s3n.get_object, Bucket=world["bucket"], Key="private/b.txt") == "AccessDenied"


def test_assume_role_refusals(horreo_server, world):
    key = world["key"]
    sts = client(horreo_server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    root_sts = client(horreo_server, "sts", horreo_server.access_key, horreo_server.secret_key)
    assert code_of(root_sts.assume_role, RoleArn=world["role_arn"], RoleSessionName="root") == "AccessDenied"
    missing = world["role_arn"].replace(world["role"], "no-such-role")
    assert code_of(sts.assume_role, RoleArn=missing, RoleSessionName="x1") == "AccessDenied"
    assert code_of(sts.assume_role, RoleArn=world["role_arn"], RoleSessionName="x1", DurationSeconds=7200 * 10) == "ValidationError"
    assert code_of(sts.assume_role, RoleArn=world["role_arn"], RoleSessionName="x1", Policy="{nope") == "MalformedPolicyDocument"
    # A user the trust policy does not name cannot assume the role.
    root_iam = client(horreo_server, "iam", horreo_server.access_key, horreo_server.secret_key)
    stranger = f"stranger-{secrets.token_hex(3)}"
    root_iam.create_user(UserName=stranger)
    root_iam.put_user_policy(
        UserName=stranger,
        PolicyName="assume",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
        ),
    )
    skey = root_iam.create_access_key(UserName=stranger)["AccessKey"]
    ssts = client(horreo_server, "sts", skey["AccessKeyId"], skey["SecretAccessKey"])
    assert code_of(ssts.assume_role, RoleArn=world["role_arn"], RoleSessionName="x2") == "AccessDenied"


def test_aws_cli_profile_assumes_the_role(horreo_server, world, tmp_path):
    key = world["key"]
    config = tmp_path / "config"
    config.write_text(
        "[profile dev]\n"
        f"region = {horreo_server.region}\n"
        f"endpoint_url = {horreo_server.endpoint}\n"
        "[profile reader]\n"
        f"region = {horreo_server.region}\n"
        f"endpoint_url = {horreo_server.endpoint}\n"
        f"role_arn = {world['role_arn']}\n"
        "source_profile = dev\n"
    )
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[dev]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )
    aws = str(Path(sys.executable).parent / "aws")

    def run(*args):
        return subprocess.run([aws, *args], env=env, capture_output=True, text=True, timeout=120)

    who = run("sts", "get-caller-identity", "--profile", "reader", "--output", "json")
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"].endswith(f"assumed-role/{world['role']}/" + json.loads(who.stdout)["Arn"].rsplit("/", 1)[1])
    out = tmp_path / "b.txt"
    got = run("s3", "cp", f"s3://{world['bucket']}/private/b.txt", str(out), "--profile", "reader")
    assert got.returncode == 0, got.stderr
    assert out.read_bytes() == b"b"
    refused = run("s3", "cp", str(out), f"s3://{world['bucket']}/copy.txt", "--profile", "reader")
    assert refused.returncode != 0
    assert "AccessDenied" in refused.stderr
