package cognito

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/partnerloop/partnerloop/internal/team"
)

// recorder answers like Cognito and notes each call.
type recorder struct{ calls []string }

func (r *recorder) AdminCreateUser(_ context.Context, in *cip.AdminCreateUserInput, _ ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error) {
	r.calls = append(r.calls, "create "+aws.ToString(in.Username)+" "+string(in.DesiredDeliveryMediums[0]))
	if aws.ToString(in.Username) == "taken@x.example" {
		return nil, &types.UsernameExistsException{}
	}
	return &cip.AdminCreateUserOutput{User: &types.UserType{Attributes: []types.AttributeType{{Name: aws.String("sub"), Value: aws.String("sub-1")}}}}, nil
}
func (r *recorder) AdminAddUserToGroup(_ context.Context, in *cip.AdminAddUserToGroupInput, _ ...func(*cip.Options)) (*cip.AdminAddUserToGroupOutput, error) {
	r.calls = append(r.calls, "join "+aws.ToString(in.GroupName))
	return &cip.AdminAddUserToGroupOutput{}, nil
}
func (r *recorder) AdminRemoveUserFromGroup(_ context.Context, in *cip.AdminRemoveUserFromGroupInput, _ ...func(*cip.Options)) (*cip.AdminRemoveUserFromGroupOutput, error) {
	r.calls = append(r.calls, "leave "+aws.ToString(in.GroupName))
	return &cip.AdminRemoveUserFromGroupOutput{}, nil
}
func (r *recorder) AdminUpdateUserAttributes(_ context.Context, in *cip.AdminUpdateUserAttributesInput, _ ...func(*cip.Options)) (*cip.AdminUpdateUserAttributesOutput, error) {
	r.calls = append(r.calls, "rename "+aws.ToString(in.UserAttributes[0].Value))
	return &cip.AdminUpdateUserAttributesOutput{}, nil
}
func (r *recorder) AdminDeleteUser(_ context.Context, in *cip.AdminDeleteUserInput, _ ...func(*cip.Options)) (*cip.AdminDeleteUserOutput, error) {
	r.calls = append(r.calls, "delete "+aws.ToString(in.Username))
	return nil, &types.UserNotFoundException{}
}

func TestTheDirectoryKeepsGroupsInStepWithRoles(t *testing.T) {
	r := &recorder{}
	d := Directory{Client: r, PoolID: "pool"}
	ctx := context.Background()
	sub, err := d.Invite(ctx, team.Member{Email: "ann@x.example", Name: "Ann", Roles: []string{"manager", "viewer"}})
	if err != nil || sub != "sub-1" {
		t.Fatalf("invite: %q %v", sub, err)
	}
	if _, err := d.Invite(ctx, team.Member{Email: "taken@x.example", Name: "T", Roles: []string{"viewer"}}); err != team.ErrExists {
		t.Fatalf("a taken user name: %v", err)
	}
	was := team.Member{Email: "ann@x.example", Name: "Ann", Roles: []string{"manager", "viewer"}}
	if err := d.Update(ctx, was, team.Member{Email: "ann@x.example", Name: "Ann B", Roles: []string{"viewer", "finance"}}); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(ctx, was); err != nil {
		t.Fatalf("a user already gone: %v", err)
	}
	want := []string{"create ann@x.example EMAIL", "join manager", "join viewer", "create taken@x.example EMAIL",
		"rename Ann B", "join finance", "leave manager", "delete ann@x.example"}
	if !slices.Equal(r.calls, want) {
		t.Errorf("calls\n got  %v\n want %v", r.calls, fmt.Sprint(want))
	}
}
