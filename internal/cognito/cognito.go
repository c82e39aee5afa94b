// Package cognito keeps the team's sign-ins in a Cognito user pool: a new
// member gets a user (Cognito e-mails a temporary password) in the groups
// of their roles.
package cognito

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/partnerloop/partnerloop/internal/team"
)

// API is the part of the Cognito client the directory calls.
type API interface {
	AdminCreateUser(ctx context.Context, in *cip.AdminCreateUserInput, opts ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error)
	AdminAddUserToGroup(ctx context.Context, in *cip.AdminAddUserToGroupInput, opts ...func(*cip.Options)) (*cip.AdminAddUserToGroupOutput, error)
	AdminRemoveUserFromGroup(ctx context.Context, in *cip.AdminRemoveUserFromGroupInput, opts ...func(*cip.Options)) (*cip.AdminRemoveUserFromGroupOutput, error)
	AdminUpdateUserAttributes(ctx context.Context, in *cip.AdminUpdateUserAttributesInput, opts ...func(*cip.Options)) (*cip.AdminUpdateUserAttributesOutput, error)
	AdminDeleteUser(ctx context.Context, in *cip.AdminDeleteUserInput, opts ...func(*cip.Options)) (*cip.AdminDeleteUserOutput, error)
}

// Directory is team.Directory on a user pool. Users sign in with their
// e-mail address, which is also their user name.
type Directory struct {
	Client API
	PoolID string
}

// Invite creates the user, verified e-mail and name set, Cognito sending
// the temporary password, and adds them to their roles' groups. The
// subject is the user's sub, which their tokens carry.
func (d Directory) Invite(ctx context.Context, m team.Member) (string, error) {
	out, err := d.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &d.PoolID, Username: &m.Email,
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: &m.Email}, {Name: aws.String("email_verified"), Value: aws.String("true")},
			{Name: aws.String("name"), Value: &m.Name}}})
	if ue := (*types.UsernameExistsException)(nil); errors.As(err, &ue) {
		return "", team.ErrExists
	}
	if err != nil {
		return "", fmt.Errorf("create the user: %w", err)
	}
	sub := ""
	for _, a := range out.User.Attributes {
		if aws.ToString(a.Name) == "sub" {
			sub = aws.ToString(a.Value)
		}
	}
	if sub == "" {
		return "", errors.New("cognito answered a user without sub")
	}
	for _, g := range m.Roles {
		if err := d.join(ctx, m.Email, g); err != nil {
			return "", err
		}
	}
	return sub, nil
}

func (d Directory) join(ctx context.Context, user, group string) error {
	_, err := d.Client.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &d.PoolID, Username: &user, GroupName: &group})
	if err != nil {
		return fmt.Errorf("add the user to %s: %w", group, err)
	}
	return nil
}

// Update sets the user's name and moves them between groups to match.
func (d Directory) Update(ctx context.Context, was, m team.Member) error {
	if was.Name != m.Name {
		if _, err := d.Client.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: &d.PoolID, Username: &m.Email,
			UserAttributes: []types.AttributeType{{Name: aws.String("name"), Value: &m.Name}}}); err != nil {
			return fmt.Errorf("rename the user: %w", err)
		}
	}
	for _, g := range m.Roles {
		if !slices.Contains(was.Roles, g) {
			if err := d.join(ctx, m.Email, g); err != nil {
				return err
			}
		}
	}
	for _, g := range was.Roles {
		if !slices.Contains(m.Roles, g) {
			if _, err := d.Client.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: &d.PoolID, Username: &m.Email, GroupName: &g}); err != nil {
				return fmt.Errorf("remove the user from %s: %w", g, err)
			}
		}
	}
	return nil
}

// Remove deletes the user; one already gone is removed.
func (d Directory) Remove(ctx context.Context, m team.Member) error {
	_, err := d.Client.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: &d.PoolID, Username: &m.Email})
	if nf := (*types.UserNotFoundException)(nil); errors.As(err, &nf) {
		return nil
	}
	return err
}
