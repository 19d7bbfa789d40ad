"""The IAM query API on the S3 endpoint, driven by boto3's `iam` client and `aws iam`."""

from __future__ import annotations

import json
import secrets
import subprocess

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.timeout(300)

ALLOW_ALL_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
    ],
}


def iam_client(server, access_key=None, secret_key=None, region=None):
    return boto3.session.Session().client(
        "iam",
        endpoint_url=server.endpoint,
        aws_access_key_id=access_key or server.access_key,
        aws_secret_access_key=secret_key or server.secret_key,
        region_name=region or server.region,
    )


def s3_client(server, access_key, secret_key):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=server.region,
    )


@pytest.fixture
def iam(horreo_server):
    return iam_client(horreo_server)


def name(hint: str) -> str:
    return f"{hint}-{secrets.token_hex(4)}"


def error_of(call, *args, **kwargs) -> tuple[int, str]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def test_user_lifecycle_and_caller_identity(iam):
    user = name("alice")
    created = iam.create_user(UserName=user, Path="/team/")["User"]
    assert created["UserName"] == user
    assert created["Path"] == "/team/"
    assert created["UserId"].startswith("AIDA")
    assert created["Arn"].endswith(f":user/team/{user}")
    got = iam.get_user(UserName=user)["User"]
    assert got["UserId"] == created["UserId"]
    me = iam.get_user()["User"]
    assert me["Arn"].endswith(":root")
    listed = [u["UserName"] for u in iam.list_users(PathPrefix="/team/")["Users"]]
    assert user in listed
    renamed = user + "-2"
    iam.update_user(UserName=user, NewUserName=renamed, NewPath="/moved/")
    assert iam.get_user(UserName=renamed)["User"]["Path"] == "/moved/"
    assert error_of(iam.get_user, UserName=user) == (404, "NoSuchEntity")
    iam.delete_user(UserName=renamed)
    assert error_of(iam.get_user, UserName=renamed) == (404, "NoSuchEntity")


def test_access_key_signs_at_once_and_stops_when_inactive_or_deleted(iam, horreo_server):
    user = name("keyed")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(ALLOW_ALL_S3))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    assert key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40
    own = s3_client(horreo_server, key["AccessKeyId"], key["SecretAccessKey"])
    own.list_buckets()
    as_user = iam_client(horreo_server, key["AccessKeyId"], key["SecretAccessKey"])
    # A user without policies may do nothing in IAM, and changes nothing.
    status, code = error_of(as_user.create_user, UserName=name("nope"))
    assert (status, code) == (403, "AccessDenied")
    listed = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last["UserName"] == user
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert error_of(own.list_buckets)[1] == "InvalidAccessKeyId"
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Active")
    own.list_buckets()
    iam.create_access_key(UserName=user)
    assert error_of(iam.create_access_key, UserName=user) == (409, "LimitExceeded")
    assert error_of(iam.delete_user, UserName=user) == (409, "DeleteConflict")
    for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=user, AccessKeyId=k["AccessKeyId"])
    assert error_of(own.list_buckets)[1] == "InvalidAccessKeyId"
    assert error_of(as_user.list_users) == (403, "InvalidClientTokenId")
    iam.delete_user_policy(UserName=user, PolicyName="s3")
    iam.delete_user(UserName=user)


def test_policy_changes_apply_to_s3_at_once(iam, horreo_server):
    user = name("revoked")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    own = s3_client(horreo_server, key["AccessKeyId"], key["SecretAccessKey"])
    assert error_of(own.list_buckets) == (403, "AccessDenied")
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(ALLOW_ALL_S3))
    own.list_buckets()
    iam.delete_user_policy(UserName=user, PolicyName="s3")
    assert error_of(own.list_buckets) == (403, "AccessDenied")
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=user)


def test_user_with_iam_policy_manages_its_own_keys_only(iam, horreo_server):
    user = name("selfservice")
    iam.create_user(UserName=user)
    arn = iam.get_user(UserName=user)["User"]["Arn"]
    own_keys = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:*AccessKey*", "iam:GetUser"], "Resource": arn}
        ],
    }
    iam.put_user_policy(UserName=user, PolicyName="own-keys", PolicyDocument=json.dumps(own_keys))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = iam_client(horreo_server, key["AccessKeyId"], key["SecretAccessKey"])
    assert as_user.get_user()["User"]["UserName"] == user
    second = as_user.create_access_key()["AccessKey"]
    assert second["UserName"] == user
    assert len(as_user.list_access_keys()["AccessKeyMetadata"]) == 2
    other = name("other")
    iam.create_user(UserName=other)
    with pytest.raises(ClientError) as denied:
        as_user.create_access_key(UserName=other)
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == (
        f"User: {arn} is not authorized to perform: iam:CreateAccessKey on resource: "
        f"{arn.rsplit(':', 1)[0]}:user/{other}"
    )
    assert iam.list_access_keys(UserName=other)["AccessKeyMetadata"] == []
    as_user.delete_access_key(AccessKeyId=second["AccessKeyId"])
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=user, PolicyName="own-keys")
    iam.delete_user(UserName=user)
    iam.delete_user(UserName=other)


def test_groups_and_membership(iam):
    group, user = name("devs"), name("bob")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    assert error_of(iam.create_group, GroupName=group) == (409, "EntityAlreadyExists")
    iam.add_user_to_group(GroupName=group, UserName=user)
    got = iam.get_group(GroupName=group)
    assert [u["UserName"] for u in got["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    assert error_of(iam.delete_group, GroupName=group) == (409, "DeleteConflict")
    iam.put_group_policy(GroupName=group, PolicyName="s3", PolicyDocument=json.dumps(ALLOW_ALL_S3))
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["s3"]
    assert iam.get_group_policy(GroupName=group, PolicyName="s3")["PolicyDocument"] == ALLOW_ALL_S3
    iam.delete_group_policy(GroupName=group, PolicyName="s3")
    iam.remove_user_from_group(GroupName=group, UserName=user)
    assert error_of(iam.remove_user_from_group, GroupName=group, UserName=user) == (404, "NoSuchEntity")
    iam.delete_group(GroupName=group)
    iam.delete_user(UserName=user)


def test_inline_user_policies_are_validated(iam):
    user = name("carol")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(ALLOW_ALL_S3))
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["s3"]
    assert iam.get_user_policy(UserName=user, PolicyName="s3")["PolicyDocument"] == ALLOW_ALL_S3
    for bad in ["not json", json.dumps({"Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]})]:
        status, code = error_of(iam.put_user_policy, UserName=user, PolicyName="bad", PolicyDocument=bad)
        assert (status, code) == (400, "MalformedPolicyDocument")
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["s3"]
    assert error_of(iam.delete_user, UserName=user) == (409, "DeleteConflict")
    assert error_of(iam.get_user_policy, UserName=user, PolicyName="none") == (404, "NoSuchEntity")
    iam.delete_user_policy(UserName=user, PolicyName="s3")
    iam.delete_user(UserName=user)


def test_managed_policies_with_versions_and_attachments(iam):
    policy_name, user = name("readers"), name("dave")
    iam.create_user(UserName=user)
    policy = iam.create_policy(
        PolicyName=policy_name, Path="/app/", PolicyDocument=json.dumps(ALLOW_ALL_S3), Description="d"
    )["Policy"]
    arn = policy["Arn"]
    assert arn.endswith(f":policy/app/{policy_name}") and policy["DefaultVersionId"] == "v1"
    assert error_of(
        iam.create_policy, PolicyName=policy_name, PolicyDocument=json.dumps(ALLOW_ALL_S3)
    ) == (409, "EntityAlreadyExists")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == policy_name
    local = [p["Arn"] for p in iam.list_policies(Scope="Local", PathPrefix="/app/")["Policies"]]
    assert arn in local
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_ALL_S3), SetAsDefault=True)
    assert v2["PolicyVersion"]["VersionId"] == "v2" and v2["PolicyVersion"]["IsDefaultVersion"]
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v2", "v1"]
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert got["Document"] == ALLOW_ALL_S3 and not got["IsDefaultVersion"]
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_ALL_S3))
    assert error_of(
        iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(ALLOW_ALL_S3)
    ) == (409, "LimitExceeded")
    assert error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v2") == (409, "DeleteConflict")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    for version in ["v2", "v3", "v4", "v5"]:
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]
    assert attached == [{"PolicyName": policy_name, "PolicyArn": arn}]
    only = [p["Arn"] for p in iam.list_policies(OnlyAttached=True)["Policies"]]
    assert arn in only
    assert error_of(iam.delete_policy, PolicyArn=arn) == (409, "DeleteConflict")
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)
    assert error_of(iam.get_policy, PolicyArn=arn) == (404, "NoSuchEntity")
    assert error_of(
        iam.create_policy, PolicyName=name("bad"), PolicyDocument='{"Version": "2012-10-17"}'
    ) == (400, "MalformedPolicyDocument")
    iam.delete_user(UserName=user)


def test_roles_with_trust_policy(iam):
    role = name("deployer")
    created = iam.create_role(
        RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST), Description="ci", MaxSessionDuration=7200
    )["Role"]
    assert created["RoleId"].startswith("AROA") and created["MaxSessionDuration"] == 7200
    got = iam.get_role(RoleName=role)["Role"]
    assert got["AssumeRolePolicyDocument"] == TRUST
    assert role in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    trust2 = json.loads(json.dumps(TRUST))
    trust2["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::123456789012:user/x"}
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust2))
    assert iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"] == trust2
    assert error_of(
        iam.create_role, RoleName=name("r"), AssumeRolePolicyDocument=json.dumps(ALLOW_ALL_S3)
    ) == (400, "MalformedPolicyDocument")
    iam.put_role_policy(RoleName=role, PolicyName="s3", PolicyDocument=json.dumps(ALLOW_ALL_S3))
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["s3"]
    assert error_of(iam.delete_role, RoleName=role) == (409, "DeleteConflict")
    iam.delete_role_policy(RoleName=role, PolicyName="s3")
    iam.delete_role(RoleName=role)
    assert error_of(iam.get_role, RoleName=role) == (404, "NoSuchEntity")


def test_paging_with_max_items_and_marker(iam):
    prefix = f"/page{secrets.token_hex(3)}/"
    users = sorted(name(f"p{i}") for i in range(5))
    for user in users:
        iam.create_user(UserName=user, Path=prefix)
    seen, marker = [], None
    while True:
        kwargs = {"PathPrefix": prefix, "MaxItems": 2}
        if marker:
            kwargs["Marker"] = marker
        page = iam.list_users(**kwargs)
        assert len(page["Users"]) <= 2
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert seen == users
    paginated = [
        u["UserName"]
        for page in iam.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 3})
        for u in page["Users"]
    ]
    assert paginated == users
    for user in users:
        iam.delete_user(UserName=user)


def test_protocol_errors(iam, horreo_server):
    assert error_of(iam.get_user, UserName="bad name!") == (400, "ValidationError")
    # Clients sign IAM for us-east-1 or for the server's region; both are accepted.
    iam_client(horreo_server, region="us-east-1").list_users()
    wrong = iam_client(horreo_server, secret_key="x" * 40)
    assert error_of(wrong.list_users) == (403, "SignatureDoesNotMatch")


def test_aws_cli_iam_then_s3_with_the_new_key(aws, horreo_server):
    user = name("cli")
    created = aws.json("iam", "create-user", "--user-name", user)
    assert created["User"]["UserName"] == user
    key = aws.json("iam", "create-access-key", "--user-name", user)["AccessKey"]
    listed = aws.json("iam", "list-users")["Users"]
    assert user in [u["UserName"] for u in listed]
    aws.json("iam", "put-user-policy", "--user-name", user, "--policy-name", "s3", "--policy-document", json.dumps(ALLOW_ALL_S3))
    assert aws.json("iam", "list-user-policies", "--user-name", user)["PolicyNames"] == ["s3"]
    missing = aws("iam", "get-user", "--user-name", name("ghost"), check=False)
    assert missing.returncode != 0 and "NoSuchEntity" in missing.stderr
    env = dict(aws.env, AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    listing = subprocess.run(
        [aws.executable, "--endpoint-url", aws.endpoint, "s3", "ls"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert listing.returncode == 0, listing.stderr
    aws.json("iam", "delete-user-policy", "--user-name", user, "--policy-name", "s3")
    aws.json("iam", "delete-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"])
    aws.json("iam", "delete-user", "--user-name", user)
